using System.Net;

namespace Appliance.Server.Domain;

/// <summary>
/// A node's egress role: the mesh reaches <see cref="Ranges"/> through it (0.0.0.0/0 or ::/0 make it an internet
/// gateway). <see cref="Nat"/> masquerades mesh traffic leaving towards those ranges.
/// </summary>
public sealed record EgressRecord(string NodeId, string Network, IReadOnlyList<IPNetwork> Ranges, bool Nat, DateTimeOffset CreatedAt)
{
    /// <summary>True for 0.0.0.0/0 and ::/0: only the nodes that chose this gateway route them through it.</summary>
    public static bool IsDefaultRoute(IPNetwork range) => range.PrefixLength == 0;

    public bool HasDefaultRoute => Ranges.Any(IsDefaultRoute);

    /// <summary>The ranges every member routes through this gateway (the default routes excluded).</summary>
    public IEnumerable<IPNetwork> SiteRanges => Ranges.Where(r => !IsDefaultRoute(r));
}
