using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Services;

namespace Appliance.Server.Mesh;

/// <summary>
/// What the members of one network were last told, at one version: every member as a peer, each member's own
/// interface, name and gateway roles, and the zone's extra names. A node's desired state is this view minus itself,
/// so deltas for all N members come from one O(N) diff of two views instead of N full configs.
/// </summary>
public sealed class NetworkView
{
    private NetworkView(
        string network,
        long version,
        Dictionary<string, PeerDto> peers,
        Dictionary<string, (string Name, NodeInterfaceDto Interface)> members,
        Dictionary<string, GatewayRoleDto> gateways,
        MeshDnsDto dns)
    {
        Network = network;
        Version = version;
        Peers = peers;
        Members = members;
        Gateways = gateways;
        Dns = dns;
    }

    public string Network { get; }
    public long Version { get; }
    public IReadOnlyDictionary<string, PeerDto> Peers { get; }
    public IReadOnlyDictionary<string, (string Name, NodeInterfaceDto Interface)> Members { get; }
    /// <summary>The gateway roles of the members that have any.</summary>
    public IReadOnlyDictionary<string, GatewayRoleDto> Gateways { get; }
    public MeshDnsDto Dns { get; }

    public static NetworkView Build(NetworkRecord network, IReadOnlyList<NodeRecord> members) => Build(NetworkState.Plain(network, members));

    public static NetworkView Build(NetworkState state)
    {
        var gateways = new Dictionary<string, GatewayRoleDto>(StringComparer.Ordinal);
        foreach (var m in state.Nodes)
        {
            if (NodeConfigBuilder.ToGateway(state, m) is { } role)
            {
                gateways[m.Id] = role;
            }
        }
        return new(
            state.Network.Name,
            state.Network.Version,
            state.Nodes.ToDictionary(m => m.Id, m => NodeConfigBuilder.ToPeer(state, m), StringComparer.Ordinal),
            state.Nodes.ToDictionary(m => m.Id, m => (m.Name, NodeConfigBuilder.ToInterface(m, state.Network)), StringComparer.Ordinal),
            gateways,
            NodeConfigBuilder.ToDns(state));
    }

    /// <summary>
    /// Peers per snapshot message: 300 peers are ~72 KB of JSON, under the device MQTT client's 1 MB packet limit and
    /// under .NET's 85 KB large-object threshold, so the JSON, the signed envelope and every broker frame of a snapshot
    /// stay in the ordinary (compacted) heap instead of the large-object heap.
    /// </summary>
    public const int PeersPerSnapshotPart = 300;

    // Every member's peer list in the order nodes keep it, built once per view instead of sorting N peers per snapshot.
    private PeerDto[]? _sortedPeers;

    private PeerDto[] SortedPeers => _sortedPeers ??= [.. Peers.Values.Order(Comparer<PeerDto>.Create(MeshDelta.PeerOrder))];

    /// <summary>The full desired state of one member, as a snapshot in one message.</summary>
    public MeshUpdate Snapshot(string nodeId, DateTimeOffset now) => SnapshotParts(nodeId, now, int.MaxValue)[0];

    /// <summary>
    /// The full desired state of one member, in parts of at most <paramref name="peersPerPart"/> peers (one part,
    /// with no part numbers, when it fits). Part 0 carries the interface, gateway roles and names.
    /// </summary>
    public IReadOnlyList<MeshUpdate> SnapshotParts(string nodeId, DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart)
    {
        var (name, iface) = Members[nodeId];
        var peers = SortedPeers.Where(p => p.NodeId != nodeId).ToList();
        var whole = new MeshUpdate
        {
            Kind = MeshUpdate.SnapshotKind,
            NodeId = nodeId,
            Name = name,
            ToVersion = Version,
            IssuedAt = now,
            Interface = iface,
            UpsertPeers = peers,
            Gateway = Gateways.GetValueOrDefault(nodeId),
            Dns = Dns,
        };
        if (peers.Count <= peersPerPart)
        {
            return [whole];
        }
        var count = (peers.Count + peersPerPart - 1) / peersPerPart;
        return [.. Enumerable.Range(0, count).Select(i => (i == 0 ? whole : whole with { Interface = null, Gateway = null, Dns = null }) with
        {
            Part = i,
            Parts = count,
            UpsertPeers = peers.GetRange(i * peersPerPart, Math.Min(peersPerPart, peers.Count - (i * peersPerPart))),
        })];
    }

    /// <summary>The peers added or changed and the peers removed between two views of the network.</summary>
    public static (List<PeerDto> Changed, List<string> Removed) Diff(NetworkView before, NetworkView after)
    {
        var changed = after.Peers.Values.Where(p => !before.Peers.TryGetValue(p.NodeId, out var old) || !MeshDelta.SamePeer(old, p)).ToList();
        var removed = before.Peers.Keys.Where(id => !after.Peers.ContainsKey(id)).ToList();
        return (changed, removed);
    }

    /// <summary>True when a member's own record (name, interface, gateway roles) differs from <paramref name="before"/>.</summary>
    public bool OwnChanged(string nodeId, NetworkView before)
    {
        var (name, iface) = Members[nodeId];
        return !before.Members.TryGetValue(nodeId, out var old) || old.Name != name || !MeshDelta.SameInterface(old.Interface, iface) ||
            !MeshDelta.SameGateway(before.Gateways.GetValueOrDefault(nodeId), Gateways.GetValueOrDefault(nodeId));
    }

    /// <summary>
    /// The delta from <paramref name="before"/> to this view for every member at once (each applies it minus its own
    /// peer), except <paramref name="except"/>, whose own records changed and who get <see cref="DeltaFor"/> instead.
    /// </summary>
    public MeshUpdate NetworkDelta(NetworkView before, List<PeerDto> changed, List<string> removed, IReadOnlyList<string> except, DateTimeOffset now) => new()
    {
        Kind = MeshUpdate.NetworkDeltaKind,
        NodeId = MeshUpdate.AnyMember,
        Name = string.Empty,
        Network = Network,
        Except = except,
        FromVersion = before.Version,
        ToVersion = Version,
        IssuedAt = now,
        UpsertPeers = changed,
        RemovePeers = removed,
        Dns = MeshDelta.SameDns(before.Dns, Dns) ? null : Dns,
    };

    /// <summary>One member's delta from <paramref name="before"/> to this view, given the network-wide diff.</summary>
    public MeshUpdate DeltaFor(string nodeId, NetworkView before, List<PeerDto> changed, List<string> removed, DateTimeOffset now)
    {
        var (name, iface) = Members[nodeId];
        var interfaceChanged = !before.Members.TryGetValue(nodeId, out var old) || !MeshDelta.SameInterface(old.Interface, iface);
        var gateway = Gateways.GetValueOrDefault(nodeId);
        return new MeshUpdate
        {
            Kind = MeshUpdate.DeltaKind,
            NodeId = nodeId,
            Name = name,
            FromVersion = before.Version,
            ToVersion = Version,
            IssuedAt = now,
            Interface = interfaceChanged ? iface : null,
            UpsertPeers = changed.Count == 0 ? [] : [.. changed.Where(p => p.NodeId != nodeId)],
            RemovePeers = removed.Count == 0 ? [] : [.. removed.Where(id => id != nodeId)],
            // A role that went away is sent as the empty role, which the node reads as "removed".
            Gateway = MeshDelta.SameGateway(before.Gateways.GetValueOrDefault(nodeId), gateway) ? null : gateway ?? GatewayRoleDto.None,
            Dns = MeshDelta.SameDns(before.Dns, Dns) ? null : Dns,
        };
    }
}
