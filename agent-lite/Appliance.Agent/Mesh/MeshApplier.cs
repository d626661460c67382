using System.Net;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Netlink.Route;
using Appliance.WireGuard;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Brings the machine to the node's desired state: the WireGuard device (through the reconciler, so an unchanged
/// state sends nothing), MTU and link state, addresses, routes to peers' allowed IPs (and, with an internet
/// gateway, host routes that keep the server and the peers' endpoints outside the tunnel), the /etc/hosts block,
/// and the gateway roles.
/// </summary>
public sealed class MeshApplier(IWireGuardBackend backend, IRouteNetlink route, string hostsFile, IGatewayRoles? roles = null, TimeProvider? clock = null)
{
    /// <summary>The metric that marks our bypass host routes, so they are found again after a restart.</summary>
    public const uint BypassMetric = 4150;

    private readonly WireGuardConfigurator _configurator = new(backend);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Resolves a host name for the bypass routes (the server given by name); replaceable in tests.</summary>
    public Func<string, IEnumerable<IPAddress>> Resolve { get; init; } = host =>
    {
        try
        {
            return System.Net.Dns.GetHostAddresses(host);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return [];
        }
    };

    public async Task<WgDevicePlan> ApplyAsync(AgentState state, NodeConfigDto config, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        await backend.EnsureInterfaceAsync(state.Interface, ct);
        var plan = await _configurator.ApplyAsync(state.Interface, MeshTranslator.ToDevice(state, config, now), ct);
        if (!route.TryGetLink(state.Interface, out var link))
        {
            throw new AgentException($"interface {state.Interface} vanished while it was being configured");
        }
        if (link.Mtu != config.Interface.Mtu)
        {
            route.SetLinkMtu(link.Index, config.Interface.Mtu);
        }
        ReconcileAddresses(link.Index, MeshTranslator.Addresses(config));
        if (!link.IsUp)
        {
            route.SetLinkUp(link.Index, true);
        }
        // The bypass routes go in before the split default routes so the server never becomes unreachable.
        // Only endpoints in use get a bypass route: the desired ones, and where WireGuard has a peer now (it roams).
        var current = MeshTranslator.InternetFamilies(config).Count == 0 ? null : (await TryReadDeviceAsync(state.Interface, ct))?.Peers
            .Where(p => p.Endpoint is not null).ToDictionary(p => p.PublicKey.ToString(), p => p.Endpoint!, StringComparer.Ordinal);
        ReconcileBypassRoutes(link.Index, MeshTranslator.BypassHosts(state, config, Resolve, current));
        ReconcileRoutes(link.Index, MeshTranslator.Routes(config));
        WriteHosts(config.Interface.Network, MeshTranslator.HostNames(config));
        if (roles is not null)
        {
            await roles.ApplyAsync(state, config, now, ct);
        }
        return plan;
    }

    /// <summary>Puts the gateway's firewall rules back if other software removed them; true when it had to.</summary>
    public Task<bool> RepairFirewallAsync(CancellationToken ct) => roles is null ? Task.FromResult(false) : roles.RepairAsync(ct);

    /// <summary>The device as WireGuard has it, or null when the interface does not exist.</summary>
    public async Task<WgDevice?> TryReadDeviceAsync(string interfaceName, CancellationToken ct)
    {
        try
        {
            return await backend.GetDeviceAsync(interfaceName, ct);
        }
        catch (WireGuardDeviceNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Removes what the agent made: the interface (its addresses and routes go with it) and the hosts block.</summary>
    public async Task RemoveAsync(AgentState state, CancellationToken ct)
    {
        if (roles is not null)
        {
            await roles.RemoveAsync(state, ct);
        }
        ReconcileBypassRoutes(-1, []);
        try
        {
            await backend.DeleteInterfaceAsync(state.Interface, ct);
        }
        catch (WireGuardDeviceNotFoundException)
        {
        }
        WriteHosts(state.Network.Name, []);
    }

    private void ReconcileAddresses(int index, IReadOnlyList<(IPAddress Address, int Prefix)> desired)
    {
        var current = route.GetAddresses(index).Where(a => !a.Address.IsIPv6LinkLocal).ToList();
        foreach (var stale in current.Where(c => !desired.Any(d => d.Address.Equals(c.Address) && d.Prefix == c.PrefixLength)))
        {
            route.DeleteAddress(stale);
        }
        foreach (var (address, prefix) in desired.Where(d => !current.Any(c => c.Address.Equals(d.Address) && c.PrefixLength == d.Prefix)))
        {
            route.AddAddress(new RtAddress(index, address, prefix));
        }
    }

    /// <summary>
    /// The interface is ours alone, so any route through it that the desired state does not name is stale, except the
    /// kernel's own: connected subnets of its addresses, link-local and multicast.
    /// </summary>
    private void ReconcileRoutes(int index, IReadOnlyList<IPNetwork> desired)
    {
        var current = route.GetRoutes().Where(r => r.OutInterfaceIndex == index && r.Gateway is null).ToList();
        var connected = route.GetAddresses(index).Select(a => IpPrefix.Subnet(a.Address, a.PrefixLength)).ToHashSet();
        foreach (var stale in current.Where(r => !desired.Contains(r.Destination) && !connected.Contains(r.Destination) && !IsKernelOwn(r.Destination)))
        {
            route.DeleteRoute(stale);
        }
        foreach (var net in desired.Where(d => !current.Any(r => r.Destination.Equals(d))))
        {
            route.AddRoute(new RtRoute(net, index));
        }
    }

    /// <summary>
    /// Host routes to <paramref name="hosts"/> through the machine's own default route, marked with
    /// <see cref="BypassMetric"/>; stale ones of ours are deleted. Only hosts the default route would carry need one:
    /// the split halves (/1) through the mesh beat nothing more specific than a default route.
    /// </summary>
    private void ReconcileBypassRoutes(int meshIndex, IReadOnlyList<IPAddress> hosts)
    {
        var all = route.GetRoutes();
        var current = all.Where(r => r.Metric == BypassMetric && r.Destination.PrefixLength is 32 or 128).ToList();
        var theirs = all.Where(r => r.OutInterfaceIndex != meshIndex && r.Metric != BypassMetric && r.Table == RtNetlinkConstants.RT_TABLE_MAIN).ToList();
        var desired = new List<RtRoute>();
        foreach (var host in hosts)
        {
            var best = theirs.Where(r => r.Destination.BaseAddress.AddressFamily == host.AddressFamily && r.Destination.Contains(host))
                .OrderByDescending(r => r.Destination.PrefixLength).ThenBy(r => r.Metric ?? 0).FirstOrDefault();
            if (best is { Destination.PrefixLength: 0 })
            {
                desired.Add(new RtRoute(new IPNetwork(host, host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128),
                    best.OutInterfaceIndex, RtNetlinkConstants.RT_TABLE_MAIN, best.Gateway, BypassMetric));
            }
        }
        foreach (var stale in current.Where(c => !desired.Any(d => Same(c, d))))
        {
            route.DeleteRoute(stale);
        }
        foreach (var add in desired.Where(d => !current.Any(c => Same(c, d))))
        {
            route.AddRoute(add);
        }
        static bool Same(RtRoute a, RtRoute b) =>
            a.Destination.Equals(b.Destination) && a.OutInterfaceIndex == b.OutInterfaceIndex && Equals(a.Gateway, b.Gateway);
    }

    private static bool IsKernelOwn(IPNetwork n) =>
        n.BaseAddress.IsIPv6LinkLocal || n.BaseAddress.IsIPv6Multicast || (n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && n.PrefixLength == 8);

    private void WriteHosts(string network, IReadOnlyList<(string Name, IPAddress Address)> names)
    {
        var existing = File.Exists(hostsFile) ? File.ReadAllText(hostsFile) : string.Empty;
        var next = HostsBlock.Render(existing, network, names);
        if (next == existing)
        {
            return;
        }
        try
        {
            AtomicFile.Write(hostsFile, next, secret: false);
        }
        catch (IOException)
        {
            // /etc/hosts is often a bind mount (containers), where rename fails: write it in place instead.
            File.WriteAllText(hostsFile, next);
        }
    }
}
