using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;

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
        MeshDnsDto dns,
        string epoch)
    {
        Network = network;
        Epoch = epoch;
        Version = version;
        Peers = peers;
        Members = members;
        Gateways = gateways;
        Dns = dns;
    }

    public string Network { get; }
    /// <summary>The network's epoch (fixed at its creation): every update of this view carries it.</summary>
    public string Epoch { get; }
    public long Version { get; }
    public IReadOnlyDictionary<string, PeerDto> Peers { get; }
    public IReadOnlyDictionary<string, (string Name, NodeInterfaceDto Interface)> Members { get; }
    /// <summary>The gateway roles of the members that have any.</summary>
    public IReadOnlyDictionary<string, GatewayRoleDto> Gateways { get; }
    public MeshDnsDto Dns { get; }

    public static NetworkView Build(NetworkRecord network, IReadOnlyList<NodeRecord> members, NetworkView? previous = null) =>
        Build(NetworkState.Plain(network, members), previous);

    /// <summary>
    /// The view of <paramref name="state"/>. Records equal to <paramref name="previous"/>'s are taken from it, so a
    /// change to one node of thousands leaves only the new dictionaries and that node's records behind, instead of a
    /// whole second set of long-lived records for the collector to find in its oldest generation.
    /// </summary>
    public static NetworkView Build(NetworkState state, NetworkView? previous = null)
    {
        var gateways = new Dictionary<string, GatewayRoleDto>(StringComparer.Ordinal);
        var peers = new Dictionary<string, PeerDto>(state.Nodes.Count, StringComparer.Ordinal);
        var members = new Dictionary<string, (string Name, NodeInterfaceDto Interface)>(state.Nodes.Count, StringComparer.Ordinal);
        foreach (var m in state.Nodes)
        {
            if (NodeConfigBuilder.ToGateway(state, m) is { } role)
            {
                gateways[m.Id] = role;
            }
            var peer = NodeConfigBuilder.ToPeer(state, m);
            peers.Add(m.Id, previous is not null && previous.Peers.TryGetValue(m.Id, out var oldPeer) && MeshDelta.SamePeer(oldPeer, peer) ? oldPeer : peer);
            var iface = NodeConfigBuilder.ToInterface(m, state.Network);
            members.Add(m.Id, previous is not null && previous.Members.TryGetValue(m.Id, out var old) && old.Name == m.Name && MeshDelta.SameInterface(old.Interface, iface)
                ? old
                : (m.Name, iface));
        }
        var dns = NodeConfigBuilder.ToDns(state);
        return new(state.Network.Name, state.Network.Version, peers, members, gateways,
            previous is not null && MeshDelta.SameDns(previous.Dns, dns) ? previous.Dns : dns, state.Network.Epoch);
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
    public MeshUpdate Snapshot(string nodeId, DateTimeOffset now) => Own(nodeId, now) with { UpsertPeers = [.. SortedPeers.Where(p => p.NodeId != nodeId)] };

    /// <summary>True when a member's snapshot is too big for one message and goes as <see cref="SnapshotHead"/> plus <see cref="SharedSnapshotParts"/>.</summary>
    public bool SnapshotInParts(int peersPerPart = PeersPerSnapshotPart) => Peers.Count - 1 > peersPerPart;

    /// <summary>
    /// Part 0 of a snapshot in parts: the member's own name, interface, gateway roles and the zone's names, no peers,
    /// and the digest of each signed shared part (<see cref="MeshSnapshotAssembler.Digest"/>), which the member
    /// takes and nothing else.
    /// </summary>
    public MeshUpdate SnapshotHead(string nodeId, IReadOnlyList<string> sharedPartDigests, DateTimeOffset now) =>
        Own(nodeId, now) with { Part = 0, Parts = sharedPartDigests.Count + 1, PartDigests = sharedPartDigests };

    private MeshUpdate Own(string nodeId, DateTimeOffset now)
    {
        var (name, iface) = Members[nodeId];
        return new MeshUpdate
        {
            Kind = MeshUpdate.SnapshotKind,
            NodeId = nodeId,
            Name = name,
            ToVersion = Version,
            IssuedAt = now,
            Interface = iface,
            Gateway = Gateways.GetValueOrDefault(nodeId),
            Dns = Dns,
            Epoch = Epoch,
        };
    }

    // The shared parts signed, and their digests: made on the first snapshot request, then reused for every member
    // that asks while this view is current (an agent fleet reconnecting asks all at once). They go with the view,
    // so a change (a new view) or a deleted network (no view) leaves nothing stale behind.
    private (byte[][] Parts, string[] Digests)? _sealedSharedParts;

    /// <summary>Drops the shared parts sealed so far (the signing key changed: they are sealed again with the new one).</summary>
    public void ForgetSealedParts() => _sealedSharedParts = null;

    /// <summary>
    /// <see cref="SharedSnapshotParts"/> sealed by <paramref name="seal"/> (signed messages) with their digests
    /// (<see cref="MeshSnapshotAssembler.Digest"/>), made once per view: later calls return the first call's messages,
    /// IssuedAt included (agents order by version, not by time).
    /// </summary>
    public (byte[][] Parts, string[] Digests) SealedSharedParts(Func<MeshUpdate, byte[]> seal, DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart)
    {
        if (_sealedSharedParts is { } made)
        {
            return made;
        }
        var parts = SharedSnapshotParts(now, peersPerPart).Select(seal).ToArray();
        var sealedParts = (parts, parts.Select(p => MeshSnapshotAssembler.Digest(p)).ToArray());
        _sealedSharedParts = sealedParts;
        return sealedParts;
    }

    /// <summary>
    /// Parts 1.. of every member's snapshot at this version: all members' peer records, <paramref name="peersPerPart"/>
    /// a part, addressed to any member of the network (<see cref="MeshUpdate.AnyMember"/>). They are the same for every
    /// member (each leaves out its own record), so the server serializes and signs them once per version instead of
    /// once per member: at 5000 members that is 1.2 MB once instead of 6 GB.
    /// </summary>
    public IReadOnlyList<MeshUpdate> SharedSnapshotParts(DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart)
    {
        var peers = SortedPeers;
        var count = (peers.Length + peersPerPart - 1) / peersPerPart;
        return [.. Enumerable.Range(0, count).Select(i => new MeshUpdate
        {
            Kind = MeshUpdate.SnapshotKind,
            NodeId = MeshUpdate.AnyMember,
            Name = string.Empty,
            Network = Network,
            ToVersion = Version,
            IssuedAt = now,
            UpsertPeers = new ArraySegment<PeerDto>(peers, i * peersPerPart, Math.Min(peersPerPart, peers.Length - (i * peersPerPart))),
            Part = i + 1,
            Parts = count + 1,
            Epoch = Epoch,
        })];
    }

    /// <summary>The peers added or changed and the peers removed between two views of the network.</summary>
    public static (List<PeerDto> Changed, List<string> Removed) Diff(NetworkView before, NetworkView after)
    {
        var changed = after.Peers.Values.Where(p => !before.Peers.TryGetValue(p.NodeId, out var old) || (!ReferenceEquals(old, p) && !MeshDelta.SamePeer(old, p))).ToList();
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
        Epoch = Epoch,
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
            Epoch = Epoch,
        };
    }
}
