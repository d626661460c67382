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
/// and the gateway roles. Like WireGuard (<see cref="WgReconciler"/>), addresses and routes are read, diffed purely
/// (<see cref="RtLinkReconciler"/>) and the plan applied, so an unchanged state sends nothing.
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

    /// <summary>The NAT paths chosen per peer node (issue #18), set by the daemon; null: peers as the server sent them.</summary>
    public IReadOnlyDictionary<string, Nat.PeerPath>? Paths { get; set; }

    /// <summary>The gateway's DNS queries so far (<see cref="IGatewayRoles.DnsQueries"/>); null without a DNS server.</summary>
    public long? DnsQueries => roles?.DnsQueries;

    /// <summary>Forwarding switches for a relay (issue #18; null: this applier never turns forwarding on).</summary>
    public Appliance.Gateway.Sysctl.ForwardingSysctl? RelayForwarding { get; init; }

    public async Task<WgDevicePlan> ApplyAsync(AgentState state, NodeConfigDto config, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        await backend.EnsureInterfaceAsync(state.Interface, ct);
        var plan = await _configurator.ApplyAsync(state.Interface, MeshTranslator.ToDevice(state, config, now, Paths), ct);
        if (!route.TryGetLink(state.Interface, out var link))
        {
            throw new AgentException($"interface {state.Interface} vanished while it was being configured");
        }
        if (link.Mtu != config.Interface.Mtu)
        {
            route.SetLinkMtu(link.Index, config.Interface.Mtu);
        }
        Apply(RtLinkReconciler.DiffAddresses(link.Index, route.GetAddresses(link.Index), MeshTranslator.Addresses(config)));
        if (!link.IsUp)
        {
            route.SetLinkUp(link.Index, true);
        }
        // The bypass routes go in before the split default routes so the server never becomes unreachable.
        // Only endpoints in use get a bypass route: the desired ones, and where WireGuard has a peer now (it roams).
        var current = MeshTranslator.InternetFamilies(config).Count == 0 ? null : (await TryReadDeviceAsync(state.Interface, ct))?.Peers
            .Where(p => p.Endpoint is not null).ToDictionary(p => p.PublicKey.ToString(), p => p.Endpoint!, StringComparer.Ordinal);
        Apply(RtLinkReconciler.DiffBypassRoutes(link.Index, route.GetRoutes(), MeshTranslator.BypassHosts(state, config, Resolve, current), BypassMetric));
        // Read again: the kernel added connected routes for new addresses, and the bypass routes just went in.
        Apply(RtLinkReconciler.DiffRoutes(link.Index, route.GetRoutes(), route.GetAddresses(link.Index), MeshTranslator.Routes(config)));
        WriteHosts(config.Interface.Network, MeshTranslator.HostNames(config));
        if (RelayForwarding is not null)
        {
            // A relay forwards between its peers on the mesh interface (before the roles: a gateway's own switch wins).
            await RelayForwarding.EnsureAsync(config.Interface.Relay ? [.. MeshTranslator.Addresses(config).Select(a => a.Address.AddressFamily).Distinct()] : [], ct);
        }
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
        if (RelayForwarding is not null)
        {
            await RelayForwarding.RestoreAsync(ct);
        }
        Apply(RtLinkReconciler.DiffBypassRoutes(-1, route.GetRoutes(), [], BypassMetric));
        try
        {
            await backend.DeleteInterfaceAsync(state.Interface, ct);
        }
        catch (WireGuardDeviceNotFoundException)
        {
        }
        WriteHosts(state.Network.Name, []);
    }

    /// <summary>Carries out a plan of <see cref="RtLinkReconciler"/>: stale first, then what is missing.</summary>
    private void Apply(RtLinkPlan plan)
    {
        foreach (var address in plan.AddressesToDelete)
        {
            route.DeleteAddress(address);
        }
        foreach (var address in plan.AddressesToAdd)
        {
            route.AddAddress(address);
        }
        foreach (var stale in plan.RoutesToDelete)
        {
            route.DeleteRoute(stale);
        }
        foreach (var add in plan.RoutesToAdd)
        {
            route.AddRoute(add);
        }
    }

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
