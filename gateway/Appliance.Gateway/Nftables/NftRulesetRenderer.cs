using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Appliance.Gateway.Model;

namespace Appliance.Gateway.Nftables;

/// <summary>
/// Renders a plan as an <c>nft -f</c> file for one table of our own, <c>table inet appliance</c> (pure).
/// The file creates, deletes and re-creates the table in one transaction, so the kernel swaps the old
/// ruleset for the new one atomically and a failed load leaves the old one in place.
/// </summary>
public static class NftRulesetRenderer
{
    public const string Family = "inet";
    public const string TableName = "appliance";

    /// <summary>The file that removes our table (and nothing else) whether or not it exists.</summary>
    public static string RenderRemoval() =>
        $"table {Family} {TableName}\ndelete table {Family} {TableName}\n";

    public static string Render(GatewayFirewallPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var w = new StringBuilder(4096 + (plan.AllowedClients.Count + plan.DeniedClients.Count) * 24);
        var iface = Quote(plan.MeshInterface);
        w.Append("# Appliance gateway firewall, generated; the agent replaces this table as a whole.\n");
        // Declaring the table first makes the delete valid when it does not exist yet; all three are one transaction.
        w.Append(RenderRemoval());
        w.Append($"table {Family} {TableName} {{\n");

        var fams = new[] { new Fam(AddressFamily.InterNetwork, "ip", "v4", "ipv4_addr"), new Fam(AddressFamily.InterNetworkV6, "ip6", "v6", "ipv6_addr") };
        foreach (var f in fams)
        {
            Set(w, $"mesh_{f.Suffix}", f.Type, interval: true, GatewayFirewallPlan.Of(plan.MeshRanges, f.Family).Select(n => n.ToString()));
            Set(w, $"self_{f.Suffix}", f.Type, interval: false, GatewayFirewallPlan.Of(plan.MeshAddresses, f.Family).Select(a => a.ToString()));
            Set(w, $"ext_allowed_{f.Suffix}", f.Type, interval: false, GatewayFirewallPlan.Of(plan.AllowedClients, f.Family).Select(a => a.ToString()));
            Set(w, $"ext_denied_{f.Suffix}", f.Type, interval: false, GatewayFirewallPlan.Of(plan.DeniedClients, f.Family).Select(a => a.ToString()));
            Set(w, $"egress_{f.Suffix}", f.Type, interval: true, GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Select(n => n.ToString()));
            Set(w, $"remote_{f.Suffix}", f.Type, interval: true, GatewayFirewallPlan.Of(plan.RemoteRanges, f.Family).Select(n => n.ToString()));
        }

        var filter = plan.Filter;
        if (filter is not null)
        {
            PolicySets(w, "in", filter.Inbound);
            if (plan.HasForward)
            {
                PolicySets(w, "fw", filter.Forward);
            }
        }
        // With a filter, what the roles allow through is only a candidate: policy_forward accepts it or it falls to the drop.
        var pass = filter is null ? "accept" : "jump policy_forward";

        if (plan.HasForward)
        {
            w.Append("\tchain forward {\n");
            w.Append("\t\ttype filter hook forward priority filter; policy accept;\n");
            w.Append("\t\t# Only traffic through the mesh interface is ours; everything else is left to other tables.\n");
            w.Append($"\t\tiifname {iface} jump mesh_forward\n");
            w.Append($"\t\toifname {iface} jump mesh_forward\n");
            w.Append("\t}\n");

            w.Append("\tchain mesh_forward {\n");
            Group(w, "Disabled or expired ext clients, both directions, before any accept (cuts open connections too).",
                fams.Where(f => GatewayFirewallPlan.Of(plan.DeniedClients, f.Family).Count > 0)
                    .SelectMany(f => new[] { $"{f.Match} saddr @ext_denied_{f.Suffix} drop", $"{f.Match} daddr @ext_denied_{f.Suffix} drop" }));
            w.Append("\t\tct state established,related accept\n");
            Group(w, "Ext clients <-> mesh: both are peers on the mesh interface.",
                fams.Where(f => GatewayFirewallPlan.Of(plan.AllowedClients, f.Family).Count > 0)
                    .SelectMany(f => new[]
                    {
                        $"iifname {iface} oifname {iface} {f.Match} saddr @ext_allowed_{f.Suffix} {pass}",
                        $"iifname {iface} oifname {iface} {f.Match} daddr @ext_allowed_{f.Suffix} {pass}",
                    }));
            Group(w, "Mesh -> egress ranges (sources are authenticated by WireGuard's allowed IPs).",
                fams.Where(f => GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Count > 0)
                    .Select(f => $"iifname {iface} oifname != {iface} {f.Match} daddr @egress_{f.Suffix} {pass}"));
            Group(w, "Site-to-site: this LAN -> other gateways' ranges through the mesh.",
                fams.Where(f => GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Count > 0 && GatewayFirewallPlan.Of(plan.RemoteRanges, f.Family).Count > 0)
                    .Select(f => $"iifname != {iface} oifname {iface} {f.Match} saddr @egress_{f.Suffix} {f.Match} daddr @remote_{f.Suffix} accept"));
            Group(w, "Relay: between its mesh peers, for the pairs that cannot meet (sources are authenticated by WireGuard's allowed IPs).",
                plan.IsRelay ? [$"iifname {iface} oifname {iface} {pass}"] : []);
            w.Append("\t\t# Nothing else is forwarded to or from the mesh.\n");
            w.Append("\t\tdrop\n");
            w.Append("\t}\n");

            if (filter is not null)
            {
                w.Append("\tchain policy_forward {\n");
                w.Append("\t\t# Access policy: the new connections the gateway may forward; anything else returns to the drop above.\n");
                PolicyRules(w, "fw", filter.Forward, plan, fams);
                w.Append("\t}\n");
            }
        }

        w.Append("\tchain input {\n");
        w.Append("\t\ttype filter hook input priority filter; policy accept;\n");
        w.Append(plan.HasRoles
            ? "\t\t# Traffic from the mesh interface (mesh nodes and ext clients) to this gateway itself, any of its addresses.\n"
            : "\t\t# Traffic from the mesh interface to this node itself; WireGuard's own packets arrive on the underlay, not here.\n");
        w.Append($"\t\tiifname {iface} jump mesh_input\n");
        w.Append("\t}\n");

        w.Append("\tchain mesh_input {\n");
        w.Append("\t\tct state established,related accept\n");
        if (filter is null)
        {
            Group(w, "DNS for the mesh and ext clients, on this gateway's mesh address only.",
                fams.Where(f => GatewayFirewallPlan.Of(plan.MeshAddresses, f.Family).Count > 0)
                    .SelectMany(f => new[] { "udp", "tcp" }.Select(proto => $"{f.Match} daddr @self_{f.Suffix} {proto} dport 53 accept")));
            Group(w, "WireGuard's own port.", plan.ListenPort > 0 ? [$"udp dport {plan.ListenPort} accept"] : []);
            Group(w, "Ping, so the mesh can tell the gateway is up (errors for our own traffic are related, above).",
                ["icmp type echo-request accept", "icmpv6 type echo-request accept"]);
            w.Append("\t\t# Nothing else on the gateway itself is reachable from the mesh.\n");
        }
        else
        {
            Group(w, "The gateway's DNS for its own ext clients keeps working whatever the policy says of the mesh.",
                fams.Where(f => GatewayFirewallPlan.Of(plan.MeshAddresses, f.Family).Count > 0 && GatewayFirewallPlan.Of(plan.AllowedClients, f.Family).Count > 0)
                    .SelectMany(f => new[] { "udp", "tcp" }.Select(proto => $"{f.Match} saddr @ext_allowed_{f.Suffix} {f.Match} daddr @self_{f.Suffix} {proto} dport 53 accept")));
            Group(w, "WireGuard's own port.", plan.HasRoles && plan.ListenPort > 0 ? [$"udp dport {plan.ListenPort} accept"] : []);
            w.Append("\t\t# Access policy: the new connections that may reach this node.\n");
            PolicyRules(w, "in", filter.Inbound, plan, fams);
            w.Append("\t\t# Nothing else new from the mesh reaches this node.\n");
        }
        w.Append("\t\tdrop\n");
        w.Append("\t}\n");

        var nat = new StringBuilder();
        Group(nat, "Ingress NAT: ext clients appear in the mesh as this gateway's mesh address.",
            fams.Where(f => plan.IngressNat && GatewayFirewallPlan.Of(plan.AllowedClients, f.Family).Count > 0)
                .Select(f => $"oifname {iface} {f.Match} saddr @ext_allowed_{f.Suffix} {f.Match} daddr @mesh_{f.Suffix} masquerade"));
        Group(nat, "Egress NAT: mesh (and site-to-site) traffic appears on the LAN as this gateway.",
            fams.Where(f => plan.EgressNat && GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Count > 0)
                .SelectMany(f => GatewayFirewallPlan.Of(plan.RemoteRanges, f.Family).Count > 0
                    ? new[] { $"mesh_{f.Suffix}", $"remote_{f.Suffix}" }.Select(src => (f, src))
                    : new[] { (f, $"mesh_{f.Suffix}") })
                .Select(x => $"oifname != {iface} {x.f.Match} saddr @{x.src} {x.f.Match} daddr @egress_{x.f.Suffix} masquerade"));
        if (nat.Length > 0)
        {
            w.Append("\tchain postrouting {\n");
            w.Append("\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
            w.Append(nat);
            w.Append("\t}\n");
        }
        w.Append("}\n");
        return w.ToString();
    }

    /// <summary>One set per rule side and family that is not "any" (a /0), named <c>in3_src_v4</c>, <c>fw0_dst_v6</c>...</summary>
    private static void PolicySets(StringBuilder w, string kind, IReadOnlyList<PolicyRule> rules)
    {
        var fams = new[] { new Fam(AddressFamily.InterNetwork, "ip", "v4", "ipv4_addr"), new Fam(AddressFamily.InterNetworkV6, "ip6", "v6", "ipv6_addr") };
        for (var i = 0; i < rules.Count; i++)
        {
            foreach (var f in fams)
            {
                var src = GatewayFirewallPlan.Of(rules[i].Sources, f.Family);
                if (!IsAny(src))
                {
                    Set(w, $"{kind}{i}_src_{f.Suffix}", f.Type, interval: true, src.Select(n => n.ToString()));
                }
                var dst = GatewayFirewallPlan.Of(rules[i].Destinations, f.Family);
                if (!rules[i].ToSelf && !IsAny(dst))
                {
                    Set(w, $"{kind}{i}_dst_{f.Suffix}", f.Type, interval: true, dst.Select(n => n.ToString()));
                }
            }
        }
    }

    /// <summary>One accept per rule and address family the rule covers (a family without sources or destinations is skipped).</summary>
    private static void PolicyRules(StringBuilder w, string kind, IReadOnlyList<PolicyRule> rules, GatewayFirewallPlan plan, Fam[] fams)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            foreach (var f in fams)
            {
                var src = GatewayFirewallPlan.Of(r.Sources, f.Family);
                var dst = GatewayFirewallPlan.Of(r.Destinations, f.Family);
                if (src.Count == 0 || (r.ToSelf ? GatewayFirewallPlan.Of(plan.MeshAddresses, f.Family).Count == 0 : dst.Count == 0))
                {
                    continue;
                }
                var parts = new List<string>();
                if (!IsAny(src))
                {
                    parts.Add($"{f.Match} saddr @{kind}{i}_src_{f.Suffix}");
                }
                if (r.ToSelf)
                {
                    parts.Add($"{f.Match} daddr @self_{f.Suffix}");
                }
                else if (!IsAny(dst))
                {
                    parts.Add($"{f.Match} daddr @{kind}{i}_dst_{f.Suffix}");
                }
                if (parts.Count == 0)
                {
                    // Nothing above names the family: without this an "any" rule would match both families twice.
                    parts.Add($"meta nfproto {(f.Family == AddressFamily.InterNetwork ? "ipv4" : "ipv6")}");
                }
                parts.Add(r.Protocol switch
                {
                    PolicyProtocol.Tcp or PolicyProtocol.Udp when r.HasPorts =>
                        $"{(r.Protocol == PolicyProtocol.Tcp ? "tcp" : "udp")} dport {(r.PortFrom == r.PortTo ? r.PortFrom.ToString(CultureInfo.InvariantCulture) : $"{r.PortFrom}-{r.PortTo}")}",
                    PolicyProtocol.Tcp => "meta l4proto tcp",
                    PolicyProtocol.Udp => "meta l4proto udp",
                    PolicyProtocol.Icmp => f.Family == AddressFamily.InterNetwork ? "meta l4proto icmp" : "meta l4proto ipv6-icmp",
                    _ => "",
                });
                parts.Add("accept");
                w.Append("\t\t").AppendJoin(' ', parts.Where(p => p.Length > 0)).Append('\n');
            }
        }
    }

    private static bool IsAny(IReadOnlyList<System.Net.IPNetwork> list) => list.Count == 1 && list[0].PrefixLength == 0;

    /// <summary>A comment line followed by its rules; nothing at all when there are no rules.</summary>
    private static void Group(StringBuilder w, string comment, IEnumerable<string> rules)
    {
        var list = rules.ToList();
        if (list.Count == 0)
        {
            return;
        }
        w.Append("\t\t# ").Append(comment).Append('\n');
        foreach (var r in list)
        {
            w.Append("\t\t").Append(r).Append('\n');
        }
    }

    private static void Set(StringBuilder w, string name, string type, bool interval, IEnumerable<string> elements)
    {
        var list = elements.ToList();
        if (list.Count == 0)
        {
            return;
        }
        w.Append($"\tset {name} {{\n\t\ttype {type}\n");
        if (interval)
        {
            w.Append("\t\tflags interval\n");
        }
        w.Append("\t\telements = {\n");
        for (var i = 0; i < list.Count; i++)
        {
            w.Append("\t\t\t").Append(list[i]).Append(i + 1 < list.Count ? ",\n" : "\n");
        }
        w.Append("\t\t}\n\t}\n");
    }

    /// <summary>Interface names are validated to [A-Za-z0-9_.-], so quoting never needs escapes.</summary>
    private static string Quote(string name) => "\"" + name + "\"";

    private sealed record Fam(AddressFamily Family, string Match, string Suffix, string Type);
}
