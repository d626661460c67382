using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Domain.Policy;
using Appliance.Server.Store;
using Member = (string Name, Appliance.Contracts.Api.NodeInterfaceDto Interface);

namespace Appliance.Server.Mesh;

/// <summary>
/// What the members of one network are told, at one version: every member as a peer, each member's own interface,
/// name and gateway roles, and the zone's extra names. A node's desired state is this view minus itself. The view is
/// built once from the network's whole state (<see cref="Build(NetworkState, NetworkView?)"/>), then kept current in
/// place from the committed change sets (<see cref="TryApply"/>): a change recomputes only the records it touches and
/// notes their earlier values in a <see cref="NetworkViewStep"/>, from which the deltas for all N members come.
/// Touched only by the publishing loop.
/// </summary>
public sealed class NetworkView
{
    private readonly NetworkState _state;
    private readonly Dictionary<string, PeerDto> _peers;
    private readonly Dictionary<string, Member> _members;
    private readonly Dictionary<string, GatewayRoleDto> _gateways = new(StringComparer.Ordinal);

    private NetworkView(NetworkState state, MeshDnsDto dns)
    {
        _state = state;
        _peers = new(state.Nodes.Count, StringComparer.Ordinal);
        _members = new(state.Nodes.Count, StringComparer.Ordinal);
        Network = state.Network.Name;
        Epoch = state.Network.Epoch;
        Version = state.Network.Version;
        Dns = dns;
    }

    public string Network { get; }
    /// <summary>The network's epoch (fixed at its creation): every update of this view carries it.</summary>
    public string Epoch { get; }
    public long Version { get; private set; }
    public IReadOnlyDictionary<string, PeerDto> Peers => _peers;
    public IReadOnlyDictionary<string, Member> Members => _members;
    /// <summary>The gateway roles of the members that have any.</summary>
    public IReadOnlyDictionary<string, GatewayRoleDto> Gateways => _gateways;
    public MeshDnsDto Dns { get; private set; }

    /// <summary>
    /// What the network's access policy asks of each member (its peers and filter), or null when the network has no
    /// policy: every member then sees every other and gets no filter.
    /// </summary>
    public PolicyEvaluation? Policy { get; private set; }

    /// <summary>True when <paramref name="nodeId"/> is told about peer <paramref name="peerId"/> (always, without a policy).</summary>
    public bool Sees(string nodeId, string peerId) => Policy is null || Policy.Connected(nodeId, peerId);

    public static NetworkView Build(NetworkRecord network, IReadOnlyList<NodeRecord> members, NetworkView? previous = null) =>
        Build(NetworkState.Plain(network, members), previous);

    /// <summary>
    /// The view of <paramref name="state"/> (which it keeps and changes from then on). Records equal to
    /// <paramref name="previous"/>'s are taken from it, so reading a network again leaves only the changed records
    /// behind, instead of a whole second set of long-lived records for the collector to find in its oldest generation.
    /// </summary>
    public static NetworkView Build(NetworkState state, NetworkView? previous = null)
    {
        var dns = NodeConfigBuilder.ToDns(state);
        var view = new NetworkView(state, previous is not null && MeshDelta.SameDns(previous.Dns, dns) ? previous.Dns : dns);
        foreach (var m in state.Nodes)
        {
            view.RefreshPeer(m.Id, previous);
            view.RefreshMember(m.Id, previous);
            view.RefreshGateway(m.Id);
        }
        view.Policy = state.ParsedPolicy is { } policy ? AccessPolicyEvaluator.Evaluate(policy, state.PolicyWorld, previous?.Policy) : null;
        return view;
    }

    /// <summary>
    /// Applies one committed change set in place and notes in <paramref name="step"/> the earlier value of every
    /// record it touches: O(records changed), plus the gateways' remote ranges when an egress role changed. False
    /// (and nothing changed) when the set cannot be applied record by record: the network's own settings changed (every
    /// peer changes), a version was skipped, or a record is missing; the caller then reads the network again.
    /// </summary>
    public bool TryApply(NetworkChangeSet set, NetworkViewStep step)
    {
        if (set.Network != Network || set.Settings is not { } settings || set.Version != Version + 1 || settings.Epoch != Epoch || !Complete(set))
        {
            return false;
        }
        _state.SetNetwork(settings);
        var peers = new HashSet<string>(StringComparer.Ordinal);
        var members = new HashSet<string>(StringComparer.Ordinal);
        var gateways = new HashSet<string>(StringComparer.Ordinal);
        var dns = false;
        var remoteRanges = false;
        // The policy is evaluated again only when something it reads changed: not for an endpoint or a report.
        var policy = false;
        foreach (var change in set.Changes)
        {
            var id = change.Id;
            switch (change.Kind)
            {
                case ChangeKind.Node:
                    policy |= PolicyInputChanged(_state.NodesById.GetValueOrDefault(id), set.Nodes[id]);
                    _state.SetNode(id, set.Nodes[id]);
                    peers.Add(id);
                    members.Add(id);
                    gateways.Add(id);
                    break;
                case ChangeKind.Ingress:
                    _state.SetIngress(id, set.Ingress[id]);
                    policy = true;
                    peers.Add(id);
                    gateways.Add(id);
                    break;
                case ChangeKind.Egress:
                    _state.SetEgress(id, set.Egress[id]);
                    policy = true;
                    peers.Add(id);
                    gateways.Add(id);
                    remoteRanges = true;
                    break;
                case ChangeKind.ExtClient:
                    var client = set.ExtClients[id];
                    // Its gateway's peer (routed clients' addresses) and ingress role change, and the zone's names.
                    foreach (var gateway in new[] { _state.SetExtClient(id, client)?.Gateway, client?.Gateway })
                    {
                        if (gateway is not null)
                        {
                            peers.Add(gateway);
                            gateways.Add(gateway);
                        }
                    }
                    dns = true;
                    policy = true;
                    break;
                case ChangeKind.DnsEntries:
                    _state.SetDnsEntries(set.DnsEntries!);
                    dns = true;
                    break;
                case ChangeKind.Policy:
                    _state.SetPolicy(set.Policy);
                    policy = true;
                    break;
            }
        }
        if (remoteRanges)
        {
            // Every gateway routes the others' site ranges (its role's remote ranges): a handful of nodes, not N.
            gateways.UnionWith(_state.Ingress.Keys);
            gateways.UnionWith(_state.Egress.Keys);
            gateways.UnionWith(_gateways.Keys);
        }
        foreach (var id in peers)
        {
            step.Remember(id, _peers.GetValueOrDefault(id));
            RefreshPeer(id, this);
        }
        foreach (var id in members)
        {
            step.Remember(id, _members.TryGetValue(id, out var m) ? m : (Member?)null);
            RefreshMember(id, this);
        }
        foreach (var id in gateways)
        {
            step.RememberGateway(id, _gateways.GetValueOrDefault(id));
            RefreshGateway(id);
        }
        if (policy && (Policy is not null || _state.ParsedPolicy is not null))
        {
            step.RememberPolicy(Policy);
            Policy = _state.ParsedPolicy is { } parsed ? AccessPolicyEvaluator.Evaluate(parsed, _state.PolicyWorld, Policy) : null;
        }
        if (dns)
        {
            var now = NodeConfigBuilder.ToDns(_state);
            Dns = MeshDelta.SameDns(Dns, now) ? Dns : now;
        }
        Version = set.Version;
        _sortedPeers = null;
        _sealedSharedParts = null;
        return true;
    }

    // Every changed record is in the set (null: removed); a set that lacks one is not applied by halves.
    private static bool Complete(NetworkChangeSet set) => set.Changes.All(c => c.Kind switch
    {
        ChangeKind.Node => set.Nodes.ContainsKey(c.Id),
        ChangeKind.Ingress => set.Ingress.ContainsKey(c.Id),
        ChangeKind.Egress => set.Egress.ContainsKey(c.Id),
        ChangeKind.ExtClient => set.ExtClients.ContainsKey(c.Id),
        ChangeKind.DnsEntries => set.DnsEntries is not null,
        ChangeKind.Policy => true,
        _ => false,
    });

    // What a policy reads of a node: whether it exists, its name, tags, addresses, internet gateway and whether it relays.
    private static bool PolicyInputChanged(NodeRecord? before, NodeRecord? after) =>
        before is null || after is null || before.Name != after.Name || !before.Tags.SequenceEqual(after.Tags) ||
        !Equals(before.Ipv4, after.Ipv4) || !Equals(before.Ipv6, after.Ipv6) || before.InternetGateway != after.InternetGateway ||
        before.IsActiveRelay != after.IsActiveRelay;

    // A member's peer record as every other member sees it; an equal record of `share` is kept, so unchanged peers
    // stay the same objects (and compare by reference).
    private void RefreshPeer(string id, NetworkView? share)
    {
        if (!_state.NodesById.TryGetValue(id, out var node))
        {
            _peers.Remove(id);
            return;
        }
        var peer = NodeConfigBuilder.ToPeer(_state, node);
        _peers[id] = share is not null && share._peers.TryGetValue(id, out var old) && MeshDelta.SamePeer(old, peer) ? old : peer;
    }

    private void RefreshMember(string id, NetworkView? share)
    {
        if (!_state.NodesById.TryGetValue(id, out var node))
        {
            _members.Remove(id);
            return;
        }
        var iface = NodeConfigBuilder.ToInterface(node, _state.Network);
        _members[id] = share is not null && share._members.TryGetValue(id, out var old) && old.Name == node.Name && MeshDelta.SameInterface(old.Interface, iface)
            ? old
            : (node.Name, iface);
    }

    private void RefreshGateway(string id)
    {
        if (_state.NodesById.TryGetValue(id, out var node) && NodeConfigBuilder.ToGateway(_state, node) is { } role)
        {
            _gateways[id] = role;
        }
        else
        {
            _gateways.Remove(id);
        }
    }

    /// <summary>A member's desired state at this view's version with <paramref name="peers"/> as its peers.</summary>
    public NodeConfigDto Config(string nodeId, IReadOnlyList<PeerDto> peers)
    {
        var (name, iface) = _members[nodeId];
        return new NodeConfigDto(nodeId, name, Version, iface, peers, _gateways.GetValueOrDefault(nodeId), Dns, Epoch, Filter: Policy?.FilterOf(nodeId));
    }

    /// <summary>A member's own delta for <paramref name="step"/> (<see cref="MeshDelta.MemberDelta"/>).</summary>
    public MeshUpdate MemberDelta(string nodeId, NetworkViewStep step, MeshPeerChanges peers, DateTimeOffset now) =>
        MeshDelta.MemberDelta(step.ConfigBefore(nodeId, this), Config(nodeId, []), peers, now);

    /// <summary>The delta of <paramref name="step"/> for every member but <paramref name="except"/> (<see cref="MeshDelta.NetworkDelta"/>).</summary>
    public MeshUpdate NetworkDelta(NetworkViewStep step, MeshPeerChanges peers, IReadOnlyList<string> except, DateTimeOffset now) =>
        MeshDelta.NetworkDelta(Network, step.FromVersion, Version, step.FromDns, Dns, peers, except, Epoch, now);

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
    public MeshUpdate Snapshot(string nodeId, DateTimeOffset now) => MeshDelta.Snapshot(Config(nodeId, PeersOf(nodeId)), now);

    /// <summary>The member's peers in the order nodes keep them: every other member, or those the policy connects it to.</summary>
    public PeerDto[] PeersOf(string nodeId) => [.. SortedPeers.Where(p => p.NodeId != nodeId && Sees(nodeId, p.NodeId))];

    /// <summary>True when a member's snapshot is too big for one message and goes as <see cref="SnapshotHead"/> plus <see cref="SharedSnapshotParts"/>.</summary>
    public bool SnapshotInParts(int peersPerPart = PeersPerSnapshotPart) => Peers.Count - 1 > peersPerPart;

    /// <summary>
    /// <see cref="SnapshotInParts(int)"/> for one member: under a policy members see different peers, so it counts
    /// the member's own.
    /// </summary>
    public bool SnapshotInParts(string nodeId, int peersPerPart = PeersPerSnapshotPart) =>
        Policy is null ? SnapshotInParts(peersPerPart) : Policy.PeerCount(nodeId) > peersPerPart;

    /// <summary>
    /// Part 0 of a snapshot in parts: the member's own name, interface, gateway roles and the zone's names, no peers,
    /// and the digest of each signed shared part (<see cref="MeshSnapshotAssembler.Digest"/>), which the member
    /// takes and nothing else.
    /// </summary>
    public MeshUpdate SnapshotHead(string nodeId, IReadOnlyList<string> sharedPartDigests, DateTimeOffset now) =>
        MeshDelta.Snapshot(Config(nodeId, []), now) with { Part = 0, Parts = sharedPartDigests.Count + 1, PartDigests = sharedPartDigests };

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
    public (byte[][] Parts, string[] Digests) SealedSharedParts(Func<MeshUpdate, byte[]> seal, DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart) =>
        SealedSharedParts(null, seal, now, peersPerPart);

    /// <summary>
    /// The peer parts of <paramref name="nodeId"/>'s snapshot, sealed: the shared ones (<see cref="SealedSharedParts(Func{MeshUpdate, byte[]}, DateTimeOffset, int)"/>)
    /// without a policy; under a policy the member's own peers, in parts of the same form (sealed for this member only).
    /// </summary>
    public (byte[][] Parts, string[] Digests) SealedSharedParts(string? nodeId, Func<MeshUpdate, byte[]> seal, DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart)
    {
        if (Policy is not null && nodeId is not null)
        {
            var own = Parts(PeersOf(nodeId), now, peersPerPart).Select(seal).ToArray();
            return (own, [.. own.Select(p => MeshSnapshotAssembler.Digest(p))]);
        }
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
    public IReadOnlyList<MeshUpdate> SharedSnapshotParts(DateTimeOffset now, int peersPerPart = PeersPerSnapshotPart) => Parts(SortedPeers, now, peersPerPart);

    private List<MeshUpdate> Parts(PeerDto[] peers, DateTimeOffset now, int peersPerPart)
    {
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
}
