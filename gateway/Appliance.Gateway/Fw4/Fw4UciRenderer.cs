using Appliance.Gateway.Model;

namespace Appliance.Gateway.Fw4;

/// <summary>
/// The fw4 (OpenWRT) side of a gateway, as uci (pure): a zone holding the mesh interface, closed for input but for
/// DNS on the gateway's mesh address, WireGuard and ping, and forwardings from it to the LAN zone (egress), to the
/// WAN zone (internet gateway) and from the LAN back into it (site-to-site).
/// fw4 then lets that traffic through its own drop policies; the fine-grained rules (which ranges, which
/// ext clients, masquerade) stay in our own nftables table.
/// </summary>
public static class Fw4UciRenderer
{
    /// <summary>Every uci section we create is named with this prefix, so we find and delete only ours.</summary>
    public const string SectionPrefix = "firewall.appliance_";

    /// <summary>Desired config, in the format <c>uci show firewall</c> prints it.</summary>
    public static IReadOnlyList<string> DesiredShowLines(GatewayFirewallPlan plan, Fw4Options options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        if (!plan.HasForward)
        {
            // A node that only enforces a policy filter: our own table filters its input, fw4 is left as it is.
            // A relay gets the zone (forwarding within it), so fw4's forward policy does not drop what it relays.
            return [];
        }
        var z = SectionPrefix + "zone";
        var lines = new List<string>
        {
            $"{z}=zone",
            $"{z}.name='{options.ZoneName}'",
            $"{z}.device='{plan.MeshInterface}'",
            // The gateway itself is closed to the mesh and ext clients but for the rules below (fw4 lets replies in
            // first); our own table drops the same traffic, so neither firewall alone opens it.
            // With an access policy our table decides what reaches the gateway, so fw4 must not drop what the policy allows.
            $"{z}.input='{(plan.HasFilter ? "ACCEPT" : "DROP")}'",
            $"{z}.output='ACCEPT'",
            // Mesh <-> ext clients is forwarding within the zone; our table narrows it down.
            $"{z}.forward='ACCEPT'",
        };
        foreach (var address in plan.MeshAddresses)
        {
            var family = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "v4" : "v6";
            Rule(lines, "dns_" + family, options.ZoneName, "tcp udp", [$"dest_ip='{address}'", "dest_port='53'"]);
        }
        if (plan.ListenPort > 0)
        {
            Rule(lines, "wireguard", options.ZoneName, "udp", [$"dest_port='{plan.ListenPort}'"]);
        }
        Rule(lines, "ping", options.ZoneName, "icmp", ["icmp_type='echo-request'"]);
        if (plan.HasEgress)
        {
            Forwarding(lines, "to_lan", options.ZoneName, options.LanZone);
            if (plan.EgressRanges.Any(r => r.PrefixLength == 0))
            {
                Forwarding(lines, "to_wan", options.ZoneName, options.WanZone);
            }
        }
        if (plan.RemoteRanges.Count > 0)
        {
            Forwarding(lines, "from_lan", options.LanZone, options.ZoneName);
        }
        return lines;
    }

    /// <summary>Our lines in a <c>uci show firewall</c> dump.</summary>
    public static IReadOnlyList<string> OurShowLines(string uciShowOutput) =>
        [.. uciShowOutput.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(SectionPrefix, StringComparison.Ordinal))];

    /// <summary>
    /// A <c>uci batch</c> script that deletes our present sections and writes the desired ones (none when
    /// <paramref name="desired"/> is empty), then commits the firewall config in one step.
    /// </summary>
    public static string RenderBatch(IReadOnlyList<string> present, IReadOnlyList<string> desired)
    {
        var w = new System.Text.StringBuilder();
        foreach (var section in present.Where(l => !l[SectionPrefix.Length..].Contains('.', StringComparison.Ordinal)))
        {
            w.Append("delete ").Append(section.Split('=')[0]).Append('\n');
        }
        foreach (var line in desired)
        {
            w.Append("set ").Append(line).Append('\n');
        }
        w.Append("commit firewall\n");
        return w.ToString();
    }

    /// <summary>An input rule: traffic from <paramref name="src"/> zone to this device that fw4 accepts.</summary>
    private static void Rule(List<string> lines, string name, string src, string proto, IEnumerable<string> match)
    {
        var s = SectionPrefix + name;
        lines.Add($"{s}=rule");
        lines.Add($"{s}.name='appliance-{name.Replace('_', '-')}'");
        lines.Add($"{s}.src='{src}'");
        lines.Add($"{s}.proto='{proto}'");
        lines.AddRange(match.Select(m => $"{s}.{m}"));
        lines.Add($"{s}.target='ACCEPT'");
    }

    private static void Forwarding(List<string> lines, string name, string src, string dest)
    {
        var s = SectionPrefix + name;
        lines.Add($"{s}=forwarding");
        lines.Add($"{s}.src='{src}'");
        lines.Add($"{s}.dest='{dest}'");
    }
}
