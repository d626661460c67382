using Appliance.Gateway.Model;

namespace Appliance.Gateway.Fw4;

/// <summary>
/// The fw4 (OpenWRT) side of a gateway, as uci (pure): a zone holding the mesh interface and forwardings from it
/// to the LAN zone (egress), to the WAN zone (internet gateway) and from the LAN back into it (site-to-site).
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
        var z = SectionPrefix + "zone";
        var lines = new List<string>
        {
            $"{z}=zone",
            $"{z}.name='{options.ZoneName}'",
            $"{z}.device='{plan.MeshInterface}'",
            $"{z}.input='ACCEPT'",
            $"{z}.output='ACCEPT'",
            // Mesh <-> ext clients is forwarding within the zone; our table narrows it down.
            $"{z}.forward='ACCEPT'",
        };
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

    private static void Forwarding(List<string> lines, string name, string src, string dest)
    {
        var s = SectionPrefix + name;
        lines.Add($"{s}=forwarding");
        lines.Add($"{s}.src='{src}'");
        lines.Add($"{s}.dest='{dest}'");
    }
}
