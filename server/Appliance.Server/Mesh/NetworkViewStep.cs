using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain.Policy;
using Member = (string Name, Appliance.Contracts.Api.NodeInterfaceDto Interface);

namespace Appliance.Server.Mesh;

/// <summary>
/// What one step of a <see cref="NetworkView"/> changed: the version and names the members were told before it, and
/// for each member, peer and gateway role the step touched, its record before the step (null: there was none). A
/// step spans every change set applied since the members were last told, so changes that arrive while a round is
/// being sent go out as one step. Everything the step did not touch is the same before and after, so the deltas come
/// from the touched records alone: O(changed), not O(N).
/// </summary>
public sealed class NetworkViewStep
{
    private readonly Dictionary<string, PeerDto?> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Member?> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GatewayRoleDto?> _gateways = new(StringComparer.Ordinal);
    private bool _policyTouched;
    private PolicyEvaluation? _policyBefore;

    /// <summary>A step from what <paramref name="view"/> holds now.</summary>
    public NetworkViewStep(NetworkView view)
    {
        FromVersion = view.Version;
        FromDns = view.Dns;
    }

    /// <summary>The step from <paramref name="before"/> to <paramref name="after"/>, two views of one network (O(N)).</summary>
    public static NetworkViewStep Between(NetworkView before, NetworkView after)
    {
        var step = new NetworkViewStep(before);
        step.Cover(before, after);
        return step;
    }

    public long FromVersion { get; }
    public MeshDnsDto FromDns { get; }

    /// <summary>The ids of the peers the step touched.</summary>
    public IReadOnlyCollection<string> TouchedPeers => _peers.Keys;

    // Only the first record counts: it is what the members were told.
    internal void Remember(string id, PeerDto? before) => _peers.TryAdd(id, before);

    internal void Remember(string id, Member? before) => _members.TryAdd(id, before);

    internal void RememberGateway(string id, GatewayRoleDto? before) => _gateways.TryAdd(id, before);

    internal void RememberPolicy(PolicyEvaluation? before)
    {
        if (!_policyTouched)
        {
            (_policyTouched, _policyBefore) = (true, before);
        }
    }

    /// <summary>True when the step evaluated the policy again (or added or removed it): members' peers and filters may differ.</summary>
    public bool PolicyTouched => _policyTouched;

    /// <summary>
    /// True when members may need deltas of their own for their peers: the network has a policy now or had one
    /// before the step, so what one member sees of a change is not what another sees.
    /// </summary>
    public bool PerMember(NetworkView after) => after.Policy is not null || (_policyTouched && _policyBefore is not null);

    /// <summary>
    /// Remembers every record of <paramref name="before"/> that the step did not touch yet, for a view replaced by
    /// <paramref name="after"/> (read again from the store): the step then spans the whole replacement, O(N).
    /// </summary>
    public void Cover(NetworkView before, NetworkView after)
    {
        foreach (var id in before.Peers.Keys.Concat(after.Peers.Keys))
        {
            Remember(id, before.Peers.GetValueOrDefault(id));
        }
        foreach (var id in before.Members.Keys.Concat(after.Members.Keys))
        {
            Remember(id, before.Members.TryGetValue(id, out var m) ? m : (Member?)null);
        }
        foreach (var id in before.Gateways.Keys.Concat(after.Gateways.Keys))
        {
            RememberGateway(id, before.Gateways.GetValueOrDefault(id));
        }
        RememberPolicy(before.Policy);
    }

    /// <summary>
    /// One member's peer changes under a policy: the touched peers it sees before or after the step, and the untouched
    /// peers the policy now shows or hides from it. O(touched) plus, when the policy was evaluated again, the member's
    /// peers before and after.
    /// </summary>
    public MeshPeerChanges MemberPeerChanges(string nodeId, NetworkView after)
    {
        var before = _policyTouched ? _policyBefore : after.Policy;
        var now = after.Policy;
        var upserts = new List<PeerDto>();
        var removed = new List<PeerDto>();
        foreach (var (id, was) in _peers)
        {
            if (id == nodeId)
            {
                continue;
            }
            var record = after.Peers.GetValueOrDefault(id);
            var seenBefore = was is not null && (before is null || before.Connected(nodeId, id));
            var seenNow = record is not null && (now is null || now.Connected(nodeId, id));
            if (seenNow && (!seenBefore || (!ReferenceEquals(was, record) && !MeshDelta.SamePeer(was!, record!))))
            {
                upserts.Add(record!);
            }
            else if (seenBefore && !seenNow)
            {
                removed.Add(was!);
            }
        }
        if (_policyTouched && (before is null || now is null || !PolicyEvaluation.SamePeers(before, now, nodeId)))
        {
            // Untouched peers are the same records before and after; only whether the member sees them can change.
            var candidates = before is null || now is null ? after.Peers.Keys : before.PeersOf(nodeId).Concat(now.PeersOf(nodeId)).Distinct(StringComparer.Ordinal);
            foreach (var id in candidates)
            {
                if (id == nodeId || _peers.ContainsKey(id) || !after.Peers.TryGetValue(id, out var record))
                {
                    continue;
                }
                var seenBefore = before is null || before.Connected(nodeId, id);
                var seenNow = now is null || now.Connected(nodeId, id);
                if (seenNow && !seenBefore)
                {
                    upserts.Add(record);
                }
                else if (seenBefore && !seenNow)
                {
                    removed.Add(record);
                }
            }
        }
        if (upserts.Count == 0 && removed.Count == 0)
        {
            return MeshPeerChanges.None;
        }
        upserts.Sort(MeshDelta.PeerOrder);
        removed.Sort(MeshDelta.PeerOrder);
        return new MeshPeerChanges(upserts, [.. removed.Select(p => p.NodeId)]);
    }

    /// <summary>True when the member's filter before the step differs from its filter after it.</summary>
    public bool FilterChanged(string nodeId, NetworkView after) =>
        _policyTouched && !MeshDelta.SameFilter(_policyBefore?.FilterOf(nodeId), after.Policy?.FilterOf(nodeId));

    /// <summary>
    /// Under a policy (<see cref="PerMember"/>): the members of <paramref name="members"/> that need a delta of their
    /// own, with their peer changes: those in <paramref name="own"/> (their own records changed), those whose filter
    /// changed and those whose share of the change is not the network's <paramref name="peers"/>. They are added to
    /// <paramref name="own"/>; the rest take the network delta. Null without a policy (everyone takes the network's).
    /// </summary>
    public Dictionary<string, MeshPeerChanges>? OnTheirOwn(NetworkView after, IEnumerable<string> members, MeshPeerChanges peers, ISet<string> own)
    {
        if (!PerMember(after))
        {
            return null;
        }
        var theirs = new Dictionary<string, MeshPeerChanges>(StringComparer.Ordinal);
        foreach (var nodeId in members)
        {
            if (!WasMember(nodeId, after))
            {
                continue;
            }
            var mine = MemberPeerChanges(nodeId, after);
            if (own.Contains(nodeId) || FilterChanged(nodeId, after) || !SameChanges(mine, peers, nodeId))
            {
                theirs[nodeId] = mine;
                own.Add(nodeId);
            }
        }
        return theirs;
    }

    /// <summary>True when a member's own peer changes are the network's (less its own record): it can take the network delta.</summary>
    public static bool SameChanges(MeshPeerChanges member, MeshPeerChanges network, string nodeId) =>
        member.Upserts.Select(p => p.NodeId).SequenceEqual(network.Upserts.Select(p => p.NodeId).Where(id => id != nodeId), StringComparer.Ordinal) &&
        member.Removes.SequenceEqual(network.Removes.Where(id => id != nodeId), StringComparer.Ordinal);

    /// <summary>The peers added or changed and the peers removed, in the order nodes keep them.</summary>
    public MeshPeerChanges PeerChanges(NetworkView after)
    {
        var upserts = new List<PeerDto>();
        var removed = new List<PeerDto>();
        foreach (var (id, before) in _peers)
        {
            var now = after.Peers.GetValueOrDefault(id);
            if (now is not null && (before is null || (!ReferenceEquals(before, now) && !MeshDelta.SamePeer(before, now))))
            {
                upserts.Add(now);
            }
            else if (now is null && before is not null)
            {
                removed.Add(before);
            }
        }
        if (upserts.Count == 0 && removed.Count == 0)
        {
            return MeshPeerChanges.None;
        }
        upserts.Sort(MeshDelta.PeerOrder);
        removed.Sort(MeshDelta.PeerOrder);
        return new MeshPeerChanges(upserts, [.. removed.Select(p => p.NodeId)]);
    }

    /// <summary>True when the node was a member before the step.</summary>
    public bool WasMember(string nodeId, NetworkView after) =>
        _members.TryGetValue(nodeId, out var before) ? before is not null : after.Members.ContainsKey(nodeId);

    /// <summary>
    /// The members, before and after the step, whose own records (name, interface, gateway roles) changed: they get
    /// a delta of their own. In the order nodes are listed (by name).
    /// </summary>
    public List<string> OwnChanged(NetworkView after)
    {
        var own = new List<string>();
        foreach (var id in _members.Keys.Concat(_gateways.Keys).Distinct(StringComparer.Ordinal))
        {
            if (!after.Members.TryGetValue(id, out var now) || !WasMember(id, after))
            {
                continue;
            }
            var was = MemberBefore(id, after);
            if (was.Name != now.Name || !MeshDelta.SameInterface(was.Interface, now.Interface) ||
                !MeshDelta.SameGateway(GatewayBefore(id, after), after.Gateways.GetValueOrDefault(id)))
            {
                own.Add(id);
            }
        }
        own.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(after.Members[a].Name, after.Members[b].Name);
            return c != 0 ? c : string.CompareOrdinal(a, b);
        });
        return own;
    }

    /// <summary>A member's own records before the step (no peers: a member delta takes the network's peer changes).</summary>
    public NodeConfigDto ConfigBefore(string nodeId, NetworkView after)
    {
        var (name, iface) = MemberBefore(nodeId, after);
        var filter = _policyTouched ? _policyBefore?.FilterOf(nodeId) : after.Policy?.FilterOf(nodeId);
        return new NodeConfigDto(nodeId, name, FromVersion, iface, [], GatewayBefore(nodeId, after), FromDns, after.Epoch, Filter: filter);
    }

    private Member MemberBefore(string id, NetworkView after) =>
        _members.TryGetValue(id, out var before) ? before ?? throw new InvalidOperationException($"{id} was no member") : after.Members[id];

    private GatewayRoleDto? GatewayBefore(string id, NetworkView after) =>
        _gateways.TryGetValue(id, out var before) ? before : after.Gateways.GetValueOrDefault(id);
}
