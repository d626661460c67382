using Appliance.Netlink.Route;

namespace Appliance.Agent.Mesh;

/// <summary>
/// The rtnetlink changes that bring addresses or routes to the desired state, computed by <see cref="RtLinkReconciler"/>
/// and carried out by <see cref="MeshApplier"/> in this order: delete addresses, add addresses, delete routes, add routes
/// (stale first, so a route or address that moves is never there twice).
/// </summary>
public sealed record RtLinkPlan
{
    public static RtLinkPlan Empty { get; } = new();

    public IReadOnlyList<RtAddress> AddressesToDelete { get; init; } = [];

    public IReadOnlyList<RtAddress> AddressesToAdd { get; init; } = [];

    public IReadOnlyList<RtRoute> RoutesToDelete { get; init; } = [];

    public IReadOnlyList<RtRoute> RoutesToAdd { get; init; } = [];

    public bool IsEmpty => AddressesToDelete.Count == 0 && AddressesToAdd.Count == 0 && RoutesToDelete.Count == 0 && RoutesToAdd.Count == 0;

    /// <summary>One line per change, <c>ip</c>-like (for tests and logs).</summary>
    public IEnumerable<string> Describe() =>
    [
        .. AddressesToDelete.Select(a => $"address del {a.Address}/{a.PrefixLength} dev#{a.InterfaceIndex}"),
        .. AddressesToAdd.Select(a => $"address add {a.Address}/{a.PrefixLength} dev#{a.InterfaceIndex}"),
        .. RoutesToDelete.Select(r => "route del " + Describe(r)),
        .. RoutesToAdd.Select(r => "route add " + Describe(r)),
    ];

    private static string Describe(RtRoute r) =>
        $"{r.Destination}{(r.Gateway is null ? "" : $" via {r.Gateway}")} dev#{r.OutInterfaceIndex}{(r.Metric is { } m ? $" metric {m}" : "")}";
}
