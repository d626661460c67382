using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Gateway.Model;

namespace Appliance.Gateway.Iptables;

/// <summary>
/// Renders <c>iptables-restore --noflush</c> input for one address family (pure). Per table it declares our chains
/// (which flushes them), fixes the jumps from the built-in chains against what <see cref="IptablesSaveState"/> shows
/// (inserted once at the top, stale ones deleted), and refills the chains; iptables-restore commits each table
/// as a whole, so a table is never half-applied and other chains are left as they are.
/// </summary>
public static class IptablesRestoreRenderer
{
    public static string Render(GatewayFirewallPlan plan, AddressFamily family, IptablesSaveState current)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(current);
        var w = new StringBuilder(4096 + (plan.AllowedClients.Count + plan.DeniedClients.Count) * 64);
        w.Append("# Appliance gateway firewall, generated; the agent refills these chains as a whole.\n");
        var iface = plan.MeshInterface;
        var fwd = IptablesChains.Forward;
        var post = IptablesChains.Postrouting;
        // With a filter, what the roles allow through is only a candidate: APPLIANCE-PFWD accepts it or it returns to the DROP.
        var pass = plan.Filter is null ? "ACCEPT" : IptablesChains.PolicyForward;

        var rules = new List<string>();
        var denied = GatewayFirewallPlan.Of(plan.DeniedClients, family);
        var allowed = GatewayFirewallPlan.Of(plan.AllowedClients, family);
        var mesh = GatewayFirewallPlan.Of(plan.MeshRanges, family);
        var egress = GatewayFirewallPlan.Of(plan.EgressRanges, family);
        var remote = GatewayFirewallPlan.Of(plan.RemoteRanges, family);
        if (denied.Count > 0)
        {
            rules.Add("# Disabled or expired ext clients, both directions, before any accept.");
        }
        foreach (var a in denied)
        {
            rules.Add($"-A {fwd} -s {Host(a)} -j DROP");
            rules.Add($"-A {fwd} -d {Host(a)} -j DROP");
        }
        rules.Add($"-A {fwd} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        if (allowed.Count > 0)
        {
            rules.Add("# Ext clients <-> mesh: both are peers on the mesh interface.");
        }
        foreach (var a in allowed)
        {
            rules.Add($"-A {fwd} -i {iface} -o {iface} -s {Host(a)} -j {pass}");
            rules.Add($"-A {fwd} -i {iface} -o {iface} -d {Host(a)} -j {pass}");
        }
        if (egress.Count > 0)
        {
            rules.Add("# Mesh -> egress ranges (sources are authenticated by WireGuard's allowed IPs).");
        }
        foreach (var e in egress)
        {
            rules.Add($"-A {fwd} -i {iface} ! -o {iface} -d {e} -j {pass}");
        }
        if (remote.Count > 0 && egress.Count > 0)
        {
            rules.Add("# Site-to-site: this LAN -> other gateways' ranges through the mesh.");
        }
        foreach (var e in egress)
        {
            foreach (var r in remote)
            {
                rules.Add($"-A {fwd} ! -i {iface} -o {iface} -s {e} -d {r} -j ACCEPT");
            }
        }
        if (plan.IsRelay)
        {
            rules.Add("# Relay: between its mesh peers, for the pairs that cannot meet (sources are authenticated by WireGuard's allowed IPs).");
            rules.Add($"-A {fwd} -i {iface} -o {iface} -j {pass}");
        }
        rules.Add("# Nothing else is forwarded to or from the mesh.");
        rules.Add($"-A {fwd} -j DROP");
        // A node that only filters has no forward chain; one left from its gateway (or relay) days is deleted.
        List<(string, IReadOnlyList<string>?)> chains = plan.HasForward
            ? [(fwd, rules), (IptablesChains.Input, InputRules(plan, family))]
            : current.ChainsIn("filter").Contains(fwd) ? [(fwd, null), (IptablesChains.Input, InputRules(plan, family))] : [(IptablesChains.Input, InputRules(plan, family))];
        if ((plan.HasForward && plan.Filter is not null) || current.ChainsIn("filter").Contains(IptablesChains.PolicyForward))
        {
            var policy = new List<string> { "# Access policy: the new connections the gateway may forward; anything else returns to the DROP." };
            policy.AddRange(PolicyRules(IptablesChains.PolicyForward, plan.Filter?.Forward ?? [], plan, family));
            chains.Add((IptablesChains.PolicyForward, plan.HasForward && plan.Filter is not null ? policy : null));
        }
        Table(w, "filter", chains, FilterJumps(plan), current);

        var nat = new List<string>();
        if (plan.IngressNat && allowed.Count > 0)
        {
            nat.Add("# Ingress NAT: ext clients appear in the mesh as this gateway's mesh address.");
            foreach (var a in allowed)
            {
                foreach (var m in mesh)
                {
                    nat.Add($"-A {post} -s {Host(a)} -d {m} -o {iface} -j MASQUERADE");
                }
            }
        }
        if (plan.EgressNat && egress.Count > 0)
        {
            nat.Add("# Egress NAT: mesh (and site-to-site) traffic appears on the LAN as this gateway.");
            foreach (var src in mesh.Concat(remote))
            {
                foreach (var e in egress)
                {
                    nat.Add($"-A {post} -s {src} -d {e} ! -o {iface} -j MASQUERADE");
                }
            }
        }
        Table(w, "nat", [(post, nat.Count > 0 ? nat : null)], nat.Count > 0 ? PostroutingJumps : [], current);
        return w.ToString();
    }

    /// <summary>What the mesh interface (mesh nodes, ext clients) may reach on the gateway itself.</summary>
    private static List<string> InputRules(GatewayFirewallPlan plan, AddressFamily family)
    {
        var chain = IptablesChains.Input;
        var rules = new List<string> { $"-A {chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" };
        var self = GatewayFirewallPlan.Of(plan.MeshAddresses, family);
        if (plan.Filter is { } filter)
        {
            var clients = GatewayFirewallPlan.Of(plan.AllowedClients, family);
            if (self.Count > 0 && clients.Count > 0)
            {
                rules.Add("# The gateway's DNS for its own ext clients keeps working whatever the policy says of the mesh.");
            }
            foreach (var c in self.Count > 0 ? clients : [])
            {
                foreach (var a in self)
                {
                    rules.Add($"-A {chain} -s {Host(c)} -d {Host(a)} -p udp --dport 53 -j ACCEPT");
                    rules.Add($"-A {chain} -s {Host(c)} -d {Host(a)} -p tcp --dport 53 -j ACCEPT");
                }
            }
            if (plan.HasRoles && plan.ListenPort > 0)
            {
                rules.Add("# WireGuard's own port.");
                rules.Add($"-A {chain} -p udp --dport {plan.ListenPort} -j ACCEPT");
            }
            rules.Add("# Access policy: the new connections that may reach this node.");
            rules.AddRange(PolicyRules(chain, filter.Inbound, plan, family));
            rules.Add("# Nothing else new from the mesh reaches this node.");
            rules.Add($"-A {chain} -j DROP");
            return rules;
        }
        if (self.Count > 0)
        {
            rules.Add("# DNS for the mesh and ext clients, on this gateway's mesh address only.");
        }
        foreach (var a in self)
        {
            rules.Add($"-A {chain} -d {Host(a)} -p udp --dport 53 -j ACCEPT");
            rules.Add($"-A {chain} -d {Host(a)} -p tcp --dport 53 -j ACCEPT");
        }
        if (plan.ListenPort > 0)
        {
            rules.Add("# WireGuard's own port.");
            rules.Add($"-A {chain} -p udp --dport {plan.ListenPort} -j ACCEPT");
        }
        rules.Add("# Ping, so the mesh can tell the gateway is up (errors for our own traffic are related, above).");
        rules.Add(family == AddressFamily.InterNetwork
            ? $"-A {chain} -p icmp --icmp-type echo-request -j ACCEPT"
            : $"-A {chain} -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT");
        rules.Add("# Nothing else on the gateway itself is reachable from the mesh.");
        rules.Add($"-A {chain} -j DROP");
        return rules;
    }

    /// <summary>
    /// Whether a dump still has what <paramref name="plan"/> needs for <paramref name="family"/>: our forward chain
    /// with both jumps, and the nat chain with its jump when the plan masquerades anything (pure).
    /// </summary>
    public static bool IsIntact(GatewayFirewallPlan plan, AddressFamily family, IptablesSaveState current)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(current);
        var chains = current.ChainsIn("filter");
        var filterOk = (!plan.HasForward || chains.Contains(IptablesChains.Forward)) && chains.Contains(IptablesChains.Input) &&
            (!(plan.HasForward && plan.HasFilter) || chains.Contains(IptablesChains.PolicyForward)) &&
            FilterJumps(plan).All(current.JumpsIn("filter").Contains);
        var needsNat = (plan.IngressNat && GatewayFirewallPlan.Of(plan.AllowedClients, family).Count > 0) ||
            (plan.EgressNat && GatewayFirewallPlan.Of(plan.EgressRanges, family).Count > 0);
        var natOk = !needsNat || (current.ChainsIn("nat").Contains(IptablesChains.Postrouting) && PostroutingJumps.All(current.JumpsIn("nat").Contains));
        return filterOk && natOk;
    }

    private static string[] FilterJumps(GatewayFirewallPlan plan) => !plan.HasForward ? [$"-A INPUT -i {plan.MeshInterface} -j {IptablesChains.Input}"] :
    [
        $"-A FORWARD -i {plan.MeshInterface} -j {IptablesChains.Forward}",
        $"-A FORWARD -o {plan.MeshInterface} -j {IptablesChains.Forward}",
        $"-A INPUT -i {plan.MeshInterface} -j {IptablesChains.Input}",
    ];

    private static readonly string[] PostroutingJumps = [$"-A POSTROUTING -j {IptablesChains.Postrouting}"];

    /// <summary>
    /// The policy's accepts for one family: one rule per source and destination pair (no ipset: plain rules only), a
    /// "/0" side left unmatched, a family without sources or destinations skipped.
    /// </summary>
    private static IEnumerable<string> PolicyRules(string chain, IReadOnlyList<PolicyRule> rules, GatewayFirewallPlan plan, AddressFamily family)
    {
        foreach (var r in rules)
        {
            var sources = GatewayFirewallPlan.Of(r.Sources, family);
            IReadOnlyList<string> destinations = r.ToSelf
                ? [.. GatewayFirewallPlan.Of(plan.MeshAddresses, family).Select(Host)]
                : [.. GatewayFirewallPlan.Of(r.Destinations, family).Select(n => n.ToString())];
            var proto = r.Protocol switch
            {
                PolicyProtocol.Tcp or PolicyProtocol.Udp when r.HasPorts =>
                    $" -p {(r.Protocol == PolicyProtocol.Tcp ? "tcp" : "udp")} --dport {(r.PortFrom == r.PortTo ? r.PortFrom.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{r.PortFrom}:{r.PortTo}")}",
                PolicyProtocol.Tcp => " -p tcp",
                PolicyProtocol.Udp => " -p udp",
                PolicyProtocol.Icmp => family == AddressFamily.InterNetwork ? " -p icmp" : " -p ipv6-icmp",
                _ => "",
            };
            foreach (var s in sources)
            {
                foreach (var d in destinations)
                {
                    var src = s.PrefixLength == 0 ? "" : $" -s {s}";
                    var dst = d.EndsWith("/0", StringComparison.Ordinal) ? "" : $" -d {d}";
                    yield return $"-A {chain}{src}{dst}{proto} -j ACCEPT";
                }
            }
        }
    }

    /// <summary>Input that deletes our jumps and chains in every table the dump shows them in; empty when there is nothing.</summary>
    public static string RenderRemoval(IptablesSaveState current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var w = new StringBuilder();
        List<(string, IReadOnlyList<string>?)> filter = [(IptablesChains.Forward, null), (IptablesChains.Input, null)];
        if (current.ChainsIn("filter").Contains(IptablesChains.PolicyForward))
        {
            filter.Add((IptablesChains.PolicyForward, null));
        }
        Table(w, "filter", filter, [], current);
        Table(w, "nat", [(IptablesChains.Postrouting, null)], [], current);
        return w.ToString();
    }

    /// <summary>One table's section; a chain whose rules are null must not exist (it is deleted after its jumps).</summary>
    private static void Table(StringBuilder w, string table, IReadOnlyList<(string Chain, IReadOnlyList<string>? Rules)> chains, IReadOnlyList<string> desiredJumps, IptablesSaveState current)
    {
        var present = current.JumpsIn(table);
        var existing = current.ChainsIn(table);
        // Nothing to write when no chain of ours is wanted, none exists and nothing jumps to one.
        if (chains.All(c => c.Rules is null && !existing.Contains(c.Chain)) && present.Count == 0)
        {
            return;
        }
        w.Append('*').Append(table).Append('\n');
        // With --noflush, declaring an existing user chain flushes it; a new one is created.
        foreach (var (chain, _) in chains)
        {
            w.Append(':').Append(chain).Append(" - [0:0]\n");
        }
        foreach (var stale in present.Where(j => !desiredJumps.Contains(j)))
        {
            w.Append("-D").Append(stale.AsSpan(2)).Append('\n');
        }
        // Inserted at the top in reverse, so they end up in the desired order ahead of other software's rules.
        foreach (var missing in desiredJumps.Where(j => !present.Contains(j)).Reverse())
        {
            var parts = missing.Split(' ', 3);
            w.Append($"-I {parts[1]} 1 {parts[2]}\n");
        }
        foreach (var (chain, rules) in chains)
        {
            if (rules is null)
            {
                w.Append("-X ").Append(chain).Append('\n');
                continue;
            }
            foreach (var r in rules)
            {
                w.Append(r).Append('\n');
            }
        }
        w.Append("COMMIT\n");
    }

    private static string Host(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork ? a + "/32" : a + "/128";
}
