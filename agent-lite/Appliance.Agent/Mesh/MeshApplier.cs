using System.Net;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Netlink.Route;
using Appliance.WireGuard;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Brings the machine to the node's desired state: the WireGuard device (through the reconciler, so an unchanged
/// state sends nothing), MTU and link state, addresses, routes to peers' allowed IPs, and the /etc/hosts block.
/// </summary>
public sealed class MeshApplier(IWireGuardBackend backend, IRouteNetlink route, string hostsFile)
{
    private readonly WireGuardConfigurator _configurator = new(backend);

    public async Task<WgDevicePlan> ApplyAsync(AgentState state, NodeConfigDto config, CancellationToken ct)
    {
        await backend.EnsureInterfaceAsync(state.Interface, ct);
        var plan = await _configurator.ApplyAsync(state.Interface, MeshTranslator.ToDevice(state, config), ct);
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
        ReconcileRoutes(link.Index, MeshTranslator.Routes(config));
        WriteHosts(config.Interface.Network, MeshTranslator.HostNames(config));
        return plan;
    }

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
