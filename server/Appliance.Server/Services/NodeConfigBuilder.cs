using System.Net;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Server.Domain;

namespace Appliance.Server.Services;

/// <summary>Computes a node's desired state from the store's records (pure).</summary>
public static class NodeConfigBuilder
{
    public static NodeConfigDto Build(NodeRecord node, NetworkRecord network, IEnumerable<NodeRecord> members)
    {
        var peers = members
            .Where(m => m.Id != node.Id)
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => ToPeer(m, network))
            .ToList();
        return new NodeConfigDto(node.Id, node.Name, network.Version, ToInterface(node, network), peers);
    }

    /// <summary>The node's own interface: its addresses with the network's prefix, its listen port, the network MTU.</summary>
    public static NodeInterfaceDto ToInterface(NodeRecord node, NetworkRecord network)
    {
        var addresses = new List<string>();
        if (Dtos.WithPrefix(node.Ipv4, network.Ipv4Cidr) is { } a4)
        {
            addresses.Add(a4);
        }
        if (network.Ipv6Cidr is { } v6 && Dtos.WithPrefix(node.Ipv6, v6) is { } a6)
        {
            addresses.Add(a6);
        }
        return new NodeInterfaceDto(network.Name, addresses, node.ListenPort, network.Mtu);
    }

    /// <summary>How every other member sees this node.</summary>
    public static PeerDto ToPeer(NodeRecord m, NetworkRecord network)
    {
        var allowed = new List<string>();
        if (m.Ipv4 is not null)
        {
            allowed.Add($"{m.Ipv4}/32");
        }
        if (m.Ipv6 is not null)
        {
            allowed.Add($"{m.Ipv6}/128");
        }
        var endpoints = m.Endpoints
            .Select(e => Endpoints.TryParse(e, (ushort)m.ListenPort, out var ep) ? Endpoints.Format(ep) : null)
            .OfType<string>()
            .ToList();
        return new PeerDto(m.Id, m.Name, m.PublicKey, allowed, endpoints.FirstOrDefault(), endpoints, network.Keepalive);
    }
}
