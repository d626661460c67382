using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Netlink.Route;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Pure policy for the mesh interface's addresses and routes: the smallest <see cref="RtLinkPlan"/> that turns what
/// rtnetlink reports into what the desired state names. Unchanged input gives <see cref="RtLinkPlan.Empty"/>. The
/// caller reads the current state just before each diff and applies the plan (<see cref="MeshApplier"/>).
/// </summary>
public static class RtLinkReconciler
{
    /// <summary>
    /// The interface's addresses: those not desired go, desired ones missing come. IPv6 link-local addresses are the
    /// kernel's and never touched.
    /// </summary>
    /// <param name="index">The mesh interface.</param>
    /// <param name="current">The interface's addresses now.</param>
    /// <param name="desired">The addresses it should have (host bits set, with their prefix length).</param>
    public static RtLinkPlan DiffAddresses(int index, IReadOnlyList<RtAddress> current, IReadOnlyList<(IPAddress Address, int Prefix)> desired)
    {
        var ours = current.Where(a => a.InterfaceIndex == index && !a.Address.IsIPv6LinkLocal).ToList();
        var plan = new RtLinkPlan
        {
            AddressesToDelete = [.. ours.Where(c => !desired.Any(d => d.Address.Equals(c.Address) && d.Prefix == c.PrefixLength))],
            AddressesToAdd = [.. desired.Where(d => !ours.Any(c => c.Address.Equals(d.Address) && c.PrefixLength == d.Prefix)).Select(d => new RtAddress(index, d.Address, d.Prefix))],
        };
        return plan.IsEmpty ? RtLinkPlan.Empty : plan;
    }

    /// <summary>
    /// Routes through the interface (no gateway). The interface is ours alone, so any such route the desired state
    /// does not name is stale, except the kernel's own: connected subnets of its addresses, link-local and multicast.
    /// </summary>
    /// <param name="index">The mesh interface.</param>
    /// <param name="routes">The main table now.</param>
    /// <param name="addresses">The interface's addresses now (their subnets are the kernel's connected routes).</param>
    /// <param name="desired">The destinations that should go through the interface.</param>
    public static RtLinkPlan DiffRoutes(int index, IReadOnlyList<RtRoute> routes, IReadOnlyList<RtAddress> addresses, IReadOnlyList<IPNetwork> desired)
    {
        var current = routes.Where(r => r.OutInterfaceIndex == index && r.Gateway is null).ToList();
        var connected = addresses.Where(a => a.InterfaceIndex == index).Select(a => IpPrefix.Subnet(a.Address, a.PrefixLength)).ToHashSet();
        var plan = new RtLinkPlan
        {
            RoutesToDelete = [.. current.Where(r => !desired.Contains(r.Destination) && !connected.Contains(r.Destination) && !IsKernelOwn(r.Destination))],
            RoutesToAdd = [.. desired.Where(d => !current.Any(r => r.Destination.Equals(d))).Select(d => new RtRoute(d, index))],
        };
        return plan.IsEmpty ? RtLinkPlan.Empty : plan;
    }

    /// <summary>
    /// Host routes to <paramref name="hosts"/> through the machine's own default route, marked with
    /// <paramref name="metric"/>; stale ones with that metric are deleted. Only hosts the default route would carry need
    /// one: the split halves (/1) through the mesh beat nothing more specific than a default route.
    /// </summary>
    /// <param name="meshIndex">The mesh interface (its routes are never the way around it); -1 when it is gone.</param>
    /// <param name="routes">The main table now.</param>
    /// <param name="hosts">The hosts that must stay outside the tunnel (none: remove every bypass route).</param>
    /// <param name="metric">The metric that marks bypass routes as ours.</param>
    public static RtLinkPlan DiffBypassRoutes(int meshIndex, IReadOnlyList<RtRoute> routes, IReadOnlyList<IPAddress> hosts, uint metric)
    {
        var current = routes.Where(r => r.Metric == metric && r.Destination.PrefixLength is 32 or 128).ToList();
        var theirs = routes.Where(r => r.OutInterfaceIndex != meshIndex && r.Metric != metric && r.Table == RtNetlinkConstants.RT_TABLE_MAIN).ToList();
        var desired = new List<RtRoute>();
        foreach (var host in hosts)
        {
            var best = theirs.Where(r => r.Destination.BaseAddress.AddressFamily == host.AddressFamily && r.Destination.Contains(host))
                .OrderByDescending(r => r.Destination.PrefixLength).ThenBy(r => r.Metric ?? 0).FirstOrDefault();
            if (best is { Destination.PrefixLength: 0 })
            {
                desired.Add(new RtRoute(new IPNetwork(host, host.AddressFamily == AddressFamily.InterNetwork ? 32 : 128),
                    best.OutInterfaceIndex, RtNetlinkConstants.RT_TABLE_MAIN, best.Gateway, metric));
            }
        }
        var plan = new RtLinkPlan
        {
            RoutesToDelete = [.. current.Where(c => !desired.Any(d => Same(c, d)))],
            RoutesToAdd = [.. desired.Where(d => !current.Any(c => Same(c, d)))],
        };
        return plan.IsEmpty ? RtLinkPlan.Empty : plan;

        static bool Same(RtRoute a, RtRoute b) =>
            a.Destination.Equals(b.Destination) && a.OutInterfaceIndex == b.OutInterfaceIndex && Equals(a.Gateway, b.Gateway);
    }

    private static bool IsKernelOwn(IPNetwork n) =>
        n.BaseAddress.IsIPv6LinkLocal || n.BaseAddress.IsIPv6Multicast || (n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 && n.PrefixLength == 8);
}
