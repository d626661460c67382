using System.Net;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;

namespace Appliance.Server.Mesh;

/// <summary>Computes a node's desired state from the store's records (pure).</summary>
public static class NodeConfigBuilder
{
    public static NodeConfigDto Build(NodeRecord node, NetworkRecord network, IEnumerable<NodeRecord> members) =>
        Build(NetworkState.Plain(network, [.. members]), node);

    /// <summary>
    /// The node's interface, every other member as a peer (under an access policy: the members the policy connects it
    /// to), its gateway roles, the zone's extra names and its policy filter.
    /// </summary>
    public static NodeConfigDto Build(NetworkState state, NodeRecord node)
    {
        var policy = state.ParsedPolicy is { } parsed ? AccessPolicyEvaluator.Evaluate(parsed, state.PolicyWorld) : null;
        var peers = state.Nodes
            .Where(m => m.Id != node.Id && (policy is null || policy.Connected(node.Id, m.Id)))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .Select(m => ToPeer(state, m))
            .ToList();
        return new NodeConfigDto(node.Id, node.Name, state.Network.Version, ToInterface(node, state.Network), peers,
            ToGateway(state, node), ToDns(state), state.Network.Epoch, Filter: policy?.FilterOf(node.Id));
    }

    /// <summary>The node's own interface: its addresses with the network's prefix, its listen port, the network MTU, its internet gateway.</summary>
    public static NodeInterfaceDto ToInterface(NodeRecord node, NetworkRecord network)
    {
        var addresses = new List<string>();
        if (WithPrefix(node.Ipv4, network.Ipv4Cidr) is { } a4)
        {
            addresses.Add(a4);
        }
        if (network.Ipv6Cidr is { } v6 && WithPrefix(node.Ipv6, v6) is { } a6)
        {
            addresses.Add(a6);
        }
        return new NodeInterfaceDto(network.Name, addresses, node.ListenPort, network.Mtu, node.InternetGateway,
            Relay: node.IsActiveRelay, NoPunching: !network.Punching, MappedEndpoint: node.MappedEndpoint, Candidates: NatCandidates.Of(node, network));
    }

    /// <summary>How every other member sees this node (a plain node: its own addresses only).</summary>
    public static PeerDto ToPeer(NodeRecord m, NetworkRecord network) => ToPeer(NetworkState.Plain(network, [m]), m);

    /// <summary>
    /// How every other member sees this node: its own addresses, then the ranges it routes to (an egress gateway;
    /// the default routes only go to the members that chose it, which their agents add themselves), then the
    /// active ext clients behind it when it routes them instead of masquerading them.
    /// </summary>
    public static PeerDto ToPeer(NetworkState state, NodeRecord m)
    {
        var allowed = HostRoutes(m.Ipv4, m.Ipv6);
        if (state.Egress.TryGetValue(m.Id, out var egress))
        {
            allowed.AddRange(egress.SiteRanges.Select(r => r.ToString()));
        }
        if (state.Ingress.TryGetValue(m.Id, out var ingress) && !ingress.Nat)
        {
            allowed.AddRange(state.ClientsOf(m.Id).Where(c => c.IsActiveInMesh).SelectMany(c => HostRoutes(c.Ipv4, c.Ipv6)));
        }
        var endpoints = NatCandidates.Of(m, state.Network);
        return new PeerDto(m.Id, m.Name, m.PublicKey, allowed, endpoints.FirstOrDefault(), endpoints, state.Network.Keepalive,
            Relay: m.IsActiveRelay, MappedEndpoint: m.MappedEndpoint);
    }

    /// <summary>The node's endpoints as "host:port" (a bare address gets the node's listen port).</summary>
    public static List<string> FormatEndpoints(NodeRecord m) => m.Endpoints
        .Select(e => Endpoints.TryParse(e, (ushort)m.ListenPort, out var ep) ? Endpoints.Format(ep) : null)
        .OfType<string>()
        .ToList();

    /// <summary>The roles the node runs, or null when it is no gateway.</summary>
    public static GatewayRoleDto? ToGateway(NetworkState state, NodeRecord node)
    {
        state.Ingress.TryGetValue(node.Id, out var ingress);
        state.Egress.TryGetValue(node.Id, out var egress);
        if (ingress is null && egress is null)
        {
            return null;
        }
        return new GatewayRoleDto
        {
            Ingress = ingress is null ? null : new IngressRoleDto
            {
                Nat = ingress.Nat,
                Dns = true,
                Clients = [.. state.ClientsOf(node.Id).Select(c =>
                    new ExtClientPeerDto(c.Id, c.Name, c.PublicKey, HostRoutes(c.Ipv4, c.Ipv6), c.IsActiveInMesh, c.ExpiresAt))],
            },
            Egress = egress is null ? null : new EgressRoleDto { Ranges = [.. egress.Ranges.Select(r => r.ToString())], Nat = egress.Nat },
            MeshRanges = MeshRanges(state.Network),
            RemoteRanges = [.. state.Egress.Values.Where(e => e.NodeId != node.Id).OrderBy(e => e.NodeId, StringComparer.Ordinal)
                .SelectMany(e => e.SiteRanges).Select(r => r.ToString())],
        };
    }

    /// <summary>The zone's names beyond the nodes: ext clients (A/AAAA) and the custom entries.</summary>
    public static MeshDnsDto ToDns(NetworkState state)
    {
        var records = new List<DnsRecordDto>();
        foreach (var c in state.ExtClients.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (c.Ipv4 is not null)
            {
                records.Add(new DnsRecordDto(c.Name, "A", c.Ipv4.ToString()));
            }
            if (c.Ipv6 is not null)
            {
                records.Add(new DnsRecordDto(c.Name, "AAAA", c.Ipv6.ToString()));
            }
        }
        records.AddRange(state.DnsEntries.Select(d => new DnsRecordDto(d.Name, d.Type, d.Value)));
        return new MeshDnsDto { Zone = state.Zone, Records = records };
    }

    /// <summary>The network's own ranges, IPv4 first.</summary>
    public static IReadOnlyList<string> MeshRanges(NetworkRecord network) =>
        network.Ipv6Cidr is { } v6 ? [network.Ipv4Cidr.ToString(), v6.ToString()] : [network.Ipv4Cidr.ToString()];

    /// <summary>"10.10.0.2/24": the address with its network's prefix length, as interfaces are configured.</summary>
    public static string? WithPrefix(IPAddress? address, IPNetwork network) => address is null ? null : $"{address}/{network.PrefixLength}";

    /// <summary>Addresses as host routes (/32, /128), as allowed IPs carry them.</summary>
    public static List<string> HostRoutes(IPAddress? v4, IPAddress? v6)
    {
        var list = new List<string>(2);
        if (v4 is not null)
        {
            list.Add($"{v4}/32");
        }
        if (v6 is not null)
        {
            list.Add($"{v6}/128");
        }
        return list;
    }
}
