using System.Net;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.WireGuard;

namespace Appliance.Agent.Mesh;

/// <summary>Turns the node's desired state into what the kernel needs: a WireGuard config, addresses, routes (pure).</summary>
public static class MeshTranslator
{
    public static WgDeviceConfig ToDevice(AgentState state, NodeConfigDto config) => new(WgKey.Parse(state.PrivateKey))
    {
        ListenPort = config.Interface.ListenPort,
        Peers = [.. config.Peers
            .Where(p => WgKey.TryParse(p.PublicKey, out _))
            .Select(p => new WgPeerConfig(WgKey.Parse(p.PublicKey))
            {
                Endpoint = p.Endpoint is not null && IPEndPoint.TryParse(p.Endpoint, out var ep) && ep.Port != 0 ? ep : null,
                PersistentKeepalive = p.PersistentKeepalive,
                AllowedIPs = [.. p.AllowedIps.Select(IPNetwork.Parse)],
            })],
    };

    /// <summary>The interface addresses ("10.10.0.2/24" → 10.10.0.2, 24).</summary>
    public static IReadOnlyList<(IPAddress Address, int Prefix)> Addresses(NodeConfigDto config) =>
        [.. config.Interface.Addresses.Select(a =>
        {
            var slash = a.IndexOf('/', StringComparison.Ordinal);
            return (IPAddress.Parse(a.AsSpan(0, slash)), int.Parse(a.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture));
        })];

    /// <summary>Routes the interface needs: every peer allowed IP the interface's own subnets do not already cover.</summary>
    public static IReadOnlyList<IPNetwork> Routes(NodeConfigDto config)
    {
        var subnets = Addresses(config).Select(a => IpPrefix.Subnet(a.Address, a.Prefix)).ToList();
        return [.. config.Peers
            .SelectMany(p => p.AllowedIps.Select(IPNetwork.Parse))
            .Where(n => !subnets.Any(s => s.BaseAddress.AddressFamily == n.BaseAddress.AddressFamily && s.PrefixLength <= n.PrefixLength && s.Contains(n.BaseAddress)))
            .Distinct()];
    }

    /// <summary>Mesh names for /etc/hosts: each peer and this node as <c>name.network</c>.</summary>
    public static IReadOnlyList<(string Name, IPAddress Address)> HostNames(NodeConfigDto config)
    {
        var network = config.Interface.Network;
        var list = new List<(string, IPAddress)>();
        foreach (var (address, _) in Addresses(config))
        {
            list.Add(($"{config.Name}.{network}", address));
        }
        foreach (var p in config.Peers)
        {
            foreach (var allowed in p.AllowedIps.Select(IPNetwork.Parse).Where(n => n.PrefixLength is 32 or 128))
            {
                list.Add(($"{p.Name}.{network}", allowed.BaseAddress));
            }
        }
        return list;
    }
}
