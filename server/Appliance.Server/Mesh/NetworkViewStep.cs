using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
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
    }

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
        return new NodeConfigDto(nodeId, name, FromVersion, iface, [], GatewayBefore(nodeId, after), FromDns, after.Epoch);
    }

    private Member MemberBefore(string id, NetworkView after) =>
        _members.TryGetValue(id, out var before) ? before ?? throw new InvalidOperationException($"{id} was no member") : after.Members[id];

    private GatewayRoleDto? GatewayBefore(string id, NetworkView after) =>
        _gateways.TryGetValue(id, out var before) ? before : after.Gateways.GetValueOrDefault(id);
}
