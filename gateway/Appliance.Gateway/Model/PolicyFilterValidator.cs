using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Contracts.Mesh;

namespace Appliance.Gateway.Model;

/// <summary>
/// Checks an access-policy filter as the server sent it (<see cref="MeshFilterDto"/>) completely, before anything is
/// touched (pure): every CIDR, protocol name and port range, and bounded sizes. The first fault throws a
/// <see cref="GatewaySpecException"/> naming the field (<c>filter.inbound[3].sources[1]</c>); a filter is taken whole
/// or not at all.
/// </summary>
public static class PolicyFilterValidator
{
    /// <summary>Rules per list (inbound, forward): far above what one node's share of a policy needs.</summary>
    public const int MaxRules = 4096;

    /// <summary>Sources or destinations of one rule.</summary>
    public const int MaxPrefixesPerRule = 4096;

    /// <summary>
    /// Source × destination pairs over the whole filter: iptables has no sets, so each pair is one rule there. A
    /// filter past this would take the kernel seconds to load and is refused on every backend alike.
    /// </summary>
    public const int MaxPairs = 65536;

    /// <summary>
    /// The validated filter, or null when <paramref name="dto"/> is null or <see cref="MeshFilterDto.None"/> (no
    /// policy: nothing is filtered).
    /// </summary>
    public static PolicyFilter? Validate(MeshFilterDto? dto)
    {
        if (dto is null || dto.IsNone)
        {
            return null;
        }
        var pairs = 0L;
        var inbound = Rules(dto.Inbound, "filter.inbound", inbound: true, ref pairs);
        var forward = Rules(dto.Forward, "filter.forward", inbound: false, ref pairs);
        return new PolicyFilter(inbound, forward);
    }

    private static List<PolicyRule> Rules(IReadOnlyList<FilterRuleDto>? rules, string field, bool inbound, ref long pairs)
    {
        if (rules is null)
        {
            throw new GatewaySpecException(field, null, "missing; an enforced filter lists its rules (empty: nothing new is allowed)");
        }
        if (rules.Count > MaxRules)
        {
            throw new GatewaySpecException(field, rules.Count.ToString(CultureInfo.InvariantCulture), $"more than {MaxRules} rules");
        }
        var list = new List<PolicyRule>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i] ?? throw new GatewaySpecException($"{field}[{i}]", null, "a rule cannot be null");
            var at = $"{field}[{i}]";
            if (rule.Sources is null || rule.Sources.Count == 0)
            {
                throw new GatewaySpecException(at + ".sources", "", "a rule needs at least one source (\"*\" for any)");
            }
            var sources = Prefixes(rule.Sources, at + ".sources");
            var destinations = rule.Destinations ?? [];
            if (!inbound && destinations.Count == 0)
            {
                throw new GatewaySpecException(at + ".destinations", "", "a forward rule needs at least one destination (\"*\" for any)");
            }
            var dst = Prefixes(destinations, at + ".destinations");
            var protocol = Protocol(rule.Protocol, at + ".protocol");
            Ports(rule, protocol, at);
            pairs += (long)sources.Count * Math.Max(1, dst.Count);
            if (pairs > MaxPairs)
            {
                throw new GatewaySpecException(at, null, $"the filter's rules cover more than {MaxPairs} source/destination pairs");
            }
            list.Add(new PolicyRule(sources, dst, inbound && destinations.Count == 0, protocol, rule.PortFrom, rule.PortTo));
        }
        return list;
    }

    private static List<IPNetwork> Prefixes(IReadOnlyList<string> texts, string field)
    {
        if (texts.Count > MaxPrefixesPerRule)
        {
            throw new GatewaySpecException(field, texts.Count.ToString(CultureInfo.InvariantCulture), $"more than {MaxPrefixesPerRule} entries");
        }
        var parsed = new List<IPNetwork>(texts.Count);
        for (var j = 0; j < texts.Count; j++)
        {
            var text = texts[j];
            var at = $"{field}[{j}]";
            if (text == FilterRuleDto.Any)
            {
                parsed.Add(new IPNetwork(IPAddress.Any, 0));
                parsed.Add(new IPNetwork(IPAddress.IPv6Any, 0));
            }
            else if (text is not null && !text.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(text, out var host) &&
                (host.AddressFamily == AddressFamily.InterNetwork || (host.AddressFamily == AddressFamily.InterNetworkV6 && host.ScopeId == 0)) &&
                !host.IsIPv4MappedToIPv6)
            {
                parsed.Add(new IPNetwork(host, host.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                var net = GatewaySpecValidator.ParseCidr(text, at);
                if (net.BaseAddress.IsIPv4MappedToIPv6)
                {
                    throw new GatewaySpecException(at, text, "an IPv4-mapped IPv6 prefix; write the IPv4 prefix");
                }
                parsed.Add(net);
            }
        }
        return Minimal(parsed);
    }

    /// <summary>Sorted, duplicates and prefixes inside another one left out (interval sets reject overlaps).</summary>
    private static List<IPNetwork> Minimal(List<IPNetwork> list)
    {
        // Shortest prefixes first within a family, so a covering prefix is kept before what it covers.
        list.Sort((a, b) =>
        {
            var c = a.BaseAddress.AddressFamily.CompareTo(b.BaseAddress.AddressFamily);
            if (c != 0)
            {
                return c;
            }
            c = a.BaseAddress.GetAddressBytes().AsSpan().SequenceCompareTo(b.BaseAddress.GetAddressBytes());
            return c != 0 ? c : a.PrefixLength.CompareTo(b.PrefixLength);
        });
        var kept = new List<IPNetwork>(list.Count);
        foreach (var n in list)
        {
            // Sorted by address, a covering prefix of n is the last kept one of its family if any covers it.
            if (kept.Count > 0 && kept[^1].BaseAddress.AddressFamily == n.BaseAddress.AddressFamily && kept[^1].Contains(n.BaseAddress) &&
                kept[^1].PrefixLength <= n.PrefixLength)
            {
                continue;
            }
            kept.Add(n);
        }
        return kept;
    }

    private static PolicyProtocol Protocol(string? text, string field) => text switch
    {
        FilterRuleDto.Tcp => PolicyProtocol.Tcp,
        FilterRuleDto.Udp => PolicyProtocol.Udp,
        FilterRuleDto.Icmp => PolicyProtocol.Icmp,
        FilterRuleDto.Any => PolicyProtocol.Any,
        _ => throw new GatewaySpecException(field, text, "expected tcp, udp, icmp or *"),
    };

    private static void Ports(FilterRuleDto rule, PolicyProtocol protocol, string at)
    {
        var text = $"{rule.PortFrom}-{rule.PortTo}";
        if (rule.PortFrom == 0 && rule.PortTo == 0)
        {
            return;
        }
        if (protocol is not (PolicyProtocol.Tcp or PolicyProtocol.Udp))
        {
            throw new GatewaySpecException(at + ".ports", text, $"ports apply to tcp and udp only, not {rule.Protocol}");
        }
        if (rule.PortFrom is < 1 or > 65535 || rule.PortTo is < 1 or > 65535 || rule.PortFrom > rule.PortTo)
        {
            throw new GatewaySpecException(at + ".ports", text, "a port range is 1..65535 with from <= to (0-0: every port)");
        }
    }
}
