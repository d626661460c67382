using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Server.Domain;

namespace Appliance.Server.Services.Validation;

/// <summary>Pure checks of gateway requests (egress ranges, ingress DNS servers); each failure names the field and index.</summary>
public static class GatewayValidation
{
    public const int MaxRanges = 64;
    public const int MaxDnsServers = 8;

    private static readonly IPNetwork[] Unroutable =
    [
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("224.0.0.0/4"),
        IPNetwork.Parse("::1/128"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    /// <summary>
    /// Parses egress ranges: each a strict CIDR (host bits set is refused, with the likely meant range in the message),
    /// no duplicates or overlaps within the list, nothing loopback, link-local or multicast. 0.0.0.0/0 and ::/0 are allowed
    /// (they make the node an internet gateway).
    /// </summary>
    public static List<IPNetwork> Ranges(IReadOnlyList<string>? ranges, ValidationErrors errors)
    {
        var parsed = new List<IPNetwork>();
        if (ranges is null || ranges.Count == 0)
        {
            errors.Add("ranges", "name at least one range in CIDR notation (for example 192.168.1.0/24, or 0.0.0.0/0 for an internet gateway)");
            return parsed;
        }
        if (ranges.Count > MaxRanges)
        {
            errors.Add("ranges", $"at most {MaxRanges} ranges");
            return parsed;
        }
        for (var i = 0; i < ranges.Count; i++)
        {
            var field = $"ranges[{i}]";
            if (string.IsNullOrWhiteSpace(ranges[i]))
            {
                errors.Add(field, "is empty");
                continue;
            }
            if (!Cidr.TryParse(ranges[i].Trim(), out var net, out var why))
            {
                errors.Add(field, why);
                continue;
            }
            var bad = Array.FindIndex(Unroutable, u => Cidr.Overlap(u, net));
            if (!EgressRecord.IsDefaultRoute(net) && bad >= 0)
            {
                errors.Add(field, $"{net} overlaps {Unroutable[bad]}, which cannot be routed through a gateway (loopback, link-local or multicast)");
                continue;
            }
            // A default route next to a LAN range is fine (the LAN is more specific); a duplicate is not.
            var clash = parsed.FindIndex(p => p.Equals(net) || (!EgressRecord.IsDefaultRoute(p) && !EgressRecord.IsDefaultRoute(net) && Cidr.Overlap(p, net)));
            if (clash >= 0)
            {
                errors.Add(field, parsed[clash].Equals(net) ? $"{net} is listed twice" : $"{net} overlaps {parsed[clash]}, listed before it");
                continue;
            }
            parsed.Add(net);
        }
        return parsed;
    }

    /// <summary>A range that overlaps or covers the mesh itself (other than a default route, which the mesh's more specific routes beat).</summary>
    public static void MeshOverlap(IReadOnlyList<IPNetwork> ranges, NetworkRecord network, ValidationErrors errors)
    {
        for (var i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (EgressRecord.IsDefaultRoute(r))
            {
                continue;
            }
            foreach (var mesh in new[] { network.Ipv4Cidr, network.Ipv6Cidr }.OfType<IPNetwork>())
            {
                if (Cidr.Overlap(mesh, r))
                {
                    errors.Add($"ranges[{i}]", $"{r} overlaps the mesh range {mesh} of network '{network.Name}' itself");
                }
            }
        }
    }

    /// <summary>
    /// Conflicts with the egress ranges other gateways of the network already claim (default routes excepted: several
    /// internet gateways may coexist, each node picks one). Names the other node.
    /// </summary>
    public static void OtherGateways(string nodeId, IReadOnlyList<IPNetwork> ranges, IEnumerable<EgressRecord> others, IReadOnlyDictionary<string, string> nodeNames, ValidationErrors conflicts)
    {
        for (var i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (EgressRecord.IsDefaultRoute(r))
            {
                continue;
            }
            foreach (var other in others.Where(o => o.NodeId != nodeId))
            {
                foreach (var o in other.SiteRanges.Where(o => Cidr.Overlap(o, r)))
                {
                    var name = nodeNames.GetValueOrDefault(other.NodeId, other.NodeId);
                    conflicts.Add($"ranges[{i}]", $"{r} overlaps {o}, which node '{name}' ({other.NodeId}) already routes");
                }
            }
        }
    }

    /// <summary>Ingress DNS servers: IP addresses, or domain names (wg-quick turns those into search domains).</summary>
    public static List<string> DnsServers(IReadOnlyList<string>? dns, ValidationErrors errors)
    {
        var list = new List<string>();
        if (dns is null)
        {
            return list;
        }
        if (dns.Count > MaxDnsServers)
        {
            errors.Add("dns", $"at most {MaxDnsServers} entries");
            return list;
        }
        for (var i = 0; i < dns.Count; i++)
        {
            var text = dns[i]?.Trim() ?? string.Empty;
            // IPAddress.TryParse takes "10.1" for 10.0.0.1; only the full dotted quad (or an IPv6 address without a zone) counts.
            if (IPAddress.TryParse(text, out var ip) && (ip.AddressFamily == AddressFamily.InterNetwork ? ip.ToString() == text : !text.Contains('%', StringComparison.Ordinal)))
            {
                list.Add(ip.ToString());
            }
            else if (IsDomainName(text))
            {
                list.Add(text.TrimEnd('.'));
            }
            else
            {
                errors.Add($"dns[{i}]", $"'{dns[i]}' is neither an IP address nor a domain name");
            }
        }
        return list;
    }

    /// <summary>Lower-case DNS labels joined by dots, one trailing dot allowed, at most 253 characters.</summary>
    public static bool IsDomainName(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var name = text.EndsWith('.') ? text[..^1] : text;
        return name.Length is > 0 and <= 253 && name.Split('.').All(Names.IsDnsLabel);
    }
}
