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
                    $"iifname {iface} oifname {iface} {f.Match} saddr @ext_allowed_{f.Suffix} accept",
                    $"iifname {iface} oifname {iface} {f.Match} daddr @ext_allowed_{f.Suffix} accept",
                }));
        Group(w, "Mesh -> egress ranges (sources are authenticated by WireGuard's allowed IPs).",
            fams.Where(f => GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Count > 0)
                .Select(f => $"iifname {iface} oifname != {iface} {f.Match} daddr @egress_{f.Suffix} accept"));
        Group(w, "Site-to-site: this LAN -> other gateways' ranges through the mesh.",
            fams.Where(f => GatewayFirewallPlan.Of(plan.EgressRanges, f.Family).Count > 0 && GatewayFirewallPlan.Of(plan.RemoteRanges, f.Family).Count > 0)
                .Select(f => $"iifname != {iface} oifname {iface} {f.Match} saddr @egress_{f.Suffix} {f.Match} daddr @remote_{f.Suffix} accept"));
        w.Append("\t\t# Nothing else is forwarded to or from the mesh.\n");
        w.Append("\t\tdrop\n");
        w.Append("\t}\n");

        w.Append("\tchain input {\n");
        w.Append("\t\ttype filter hook input priority filter; policy accept;\n");
        w.Append("\t\t# Traffic from the mesh interface (mesh nodes and ext clients) to this gateway itself, any of its addresses.\n");
        w.Append($"\t\tiifname {iface} jump mesh_input\n");
        w.Append("\t}\n");

        w.Append("\tchain mesh_input {\n");
        w.Append("\t\tct state established,related accept\n");
        Group(w, "DNS for the mesh and ext clients, on this gateway's mesh address only.",
            fams.Where(f => GatewayFirewallPlan.Of(plan.MeshAddresses, f.Family).Count > 0)
                .SelectMany(f => new[] { "udp", "tcp" }.Select(proto => $"{f.Match} daddr @self_{f.Suffix} {proto} dport 53 accept")));
        Group(w, "WireGuard's own port.", plan.ListenPort > 0 ? [$"udp dport {plan.ListenPort} accept"] : []);
        Group(w, "Ping, so the mesh can tell the gateway is up (errors for our own traffic are related, above).",
            ["icmp type echo-request accept", "icmpv6 type echo-request accept"]);
        w.Append("\t\t# Nothing else on the gateway itself is reachable from the mesh.\n");
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
