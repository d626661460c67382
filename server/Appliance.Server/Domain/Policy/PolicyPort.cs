using Appliance.Contracts.Mesh;

namespace Appliance.Server.Domain.Policy;

/// <summary>
/// One port spec of a rule or test: <see cref="Protocol"/> <c>tcp</c>, <c>udp</c>, <c>icmp</c> or <c>*</c>, and for
/// tcp/udp the destination ports <see cref="From"/>..<see cref="To"/> (1..65535 = every port, written <c>tcp:*</c>).
/// </summary>
public sealed record PolicyPort(string Protocol, int From, int To)
{
    public const int MaxPort = 65535;

    public bool HasPorts => Protocol is FilterRuleDto.Tcp or FilterRuleDto.Udp;

    /// <summary>True when this spec allows every connection <paramref name="other"/> describes.</summary>
    public bool Covers(PolicyPort other) =>
        Protocol == FilterRuleDto.Any ||
        (Protocol == other.Protocol && (!HasPorts || (From <= other.From && other.To <= To)));

    /// <summary>True when this spec allows some connection <paramref name="other"/> describes.</summary>
    public bool Overlaps(PolicyPort other) =>
        Protocol == FilterRuleDto.Any || other.Protocol == FilterRuleDto.Any ||
        (Protocol == other.Protocol && (!HasPorts || (From <= other.To && other.From <= To)));

    /// <summary>The spec as written: <c>tcp:631</c>, <c>udp:8000-8099</c>, <c>tcp:*</c>, <c>icmp</c>, <c>*</c>.</summary>
    public override string ToString() => !HasPorts ? Protocol
        : From == 1 && To == MaxPort ? $"{Protocol}:*"
        : From == To ? $"{Protocol}:{From}"
        : $"{Protocol}:{From}-{To}";

    /// <summary>The filter rule's port fields: both 0 for every port (and for icmp and *).</summary>
    public (int From, int To) FilterPorts => HasPorts && !(From == 1 && To == MaxPort) ? (From, To) : (0, 0);
}
