using Appliance.Contracts.Api;

namespace Appliance.Contracts.Mesh;

/// <summary>Computes and applies <see cref="MeshUpdate"/>s between node configs (pure).</summary>
public static class MeshDelta
{
    public static MeshUpdate Snapshot(NodeConfigDto config, DateTimeOffset issuedAt) => new()
    {
        Kind = MeshUpdate.SnapshotKind,
        NodeId = config.NodeId,
        Name = config.Name,
        ToVersion = config.Version,
        IssuedAt = issuedAt,
        Interface = config.Interface,
        UpsertPeers = config.Peers,
        Gateway = config.Gateway,
        Dns = config.Dns,
        Filter = config.Filter,
        Epoch = config.Epoch,
        ServerId = config.ServerId,
    };

    /// <summary>The smallest update that turns <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static MeshUpdate Compute(NodeConfigDto from, NodeConfigDto to, DateTimeOffset issuedAt)
    {
        if (from.NodeId != to.NodeId)
        {
            throw new ArgumentException($"a delta joins two configs of one node, not {from.NodeId} and {to.NodeId}");
        }
        return MemberDelta(from, to, DiffPeers(from.Peers, to.Peers), issuedAt);
    }

    /// <summary>The peers of <paramref name="to"/> that are new or changed (in its order) and those of <paramref name="from"/> that are gone (in its order).</summary>
    public static MeshPeerChanges DiffPeers(IReadOnlyList<PeerDto> from, IReadOnlyList<PeerDto> to)
    {
        var before = from.ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        var after = to.ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        var upserts = to.Where(p => !before.TryGetValue(p.NodeId, out var old) || !SamePeer(old, p)).ToList();
        var removes = from.Where(p => !after.ContainsKey(p.NodeId)).Select(p => p.NodeId).ToList();
        return new MeshPeerChanges(upserts, removes);
    }

    /// <summary>
    /// One member's delta from <paramref name="from"/> to <paramref name="to"/> given the network's peer changes
    /// (<paramref name="peers"/>, of which the member's own record is left out): its interface, gateway roles and the
    /// zone's names only when they changed. The peer lists of the two configs are not read, so the server can pass
    /// the member's own records alone; <see cref="Compute"/> passes whole configs and their <see cref="DiffPeers"/>.
    /// </summary>
    public static MeshUpdate MemberDelta(NodeConfigDto from, NodeConfigDto to, MeshPeerChanges peers, DateTimeOffset issuedAt) => new()
    {
        Kind = MeshUpdate.DeltaKind,
        NodeId = to.NodeId,
        Name = to.Name,
        FromVersion = from.Version,
        ToVersion = to.Version,
        IssuedAt = issuedAt,
        Interface = SameInterface(from.Interface, to.Interface) ? null : to.Interface,
        UpsertPeers = peers.Upserts.Any(p => p.NodeId == to.NodeId) ? [.. peers.Upserts.Where(p => p.NodeId != to.NodeId)] : peers.Upserts,
        RemovePeers = peers.Removes.Contains(to.NodeId, StringComparer.Ordinal) ? [.. peers.Removes.Where(id => id != to.NodeId)] : peers.Removes,
        // A role that went away is sent as the empty role, which the node reads as "removed".
        Gateway = SameGateway(from.Gateway, to.Gateway) ? null : to.Gateway ?? GatewayRoleDto.None,
        Dns = SameDns(from.Dns, to.Dns) ? null : to.Dns,
        // A policy that went away is sent as None, which the node reads as "allow everything again".
        Filter = SameFilter(from.Filter, to.Filter) ? null : to.Filter ?? MeshFilterDto.None,
        Epoch = to.Epoch,
        ServerId = to.ServerId,
    };

    /// <summary>
    /// The delta of a whole network from <paramref name="fromVersion"/> to <paramref name="toVersion"/>, one message
    /// for every member (each applies it minus its own peer record and keeps its own settings), except the members in
    /// <paramref name="except"/>, whose own settings changed and who get a <see cref="MemberDelta"/> instead.
    /// </summary>
    public static MeshUpdate NetworkDelta(
        string network, long fromVersion, long toVersion, MeshDnsDto? fromDns, MeshDnsDto? toDns, MeshPeerChanges peers,
        IReadOnlyList<string> except, string? epoch, DateTimeOffset issuedAt) => new()
    {
        Kind = MeshUpdate.NetworkDeltaKind,
        NodeId = MeshUpdate.AnyMember,
        Name = string.Empty,
        Network = network,
        Except = except,
        FromVersion = fromVersion,
        ToVersion = toVersion,
        IssuedAt = issuedAt,
        UpsertPeers = peers.Upserts,
        RemovePeers = peers.Removes,
        Dns = SameDns(fromDns, toDns) ? null : toDns,
        Epoch = epoch,
    };

    /// <summary>True when the delta changes nothing (only the version moved).</summary>
    public static bool IsEmpty(MeshUpdate update) =>
        !update.IsSnapshot && update.Interface is null && update.UpsertPeers.Count == 0 && update.RemovePeers.Count == 0 &&
        update.Gateway is null && update.Dns is null && update.Filter is null;

    /// <summary>
    /// Applies an update. A snapshot replaces everything; a delta must start at the current version, otherwise
    /// the node has missed something and needs a snapshot (<see cref="MeshVersionMismatchException"/>). A network
    /// delta changes only the peers (never the node's own record) and the zone's names; the access-policy filter is
    /// per node, so a network delta keeps the node's own (the server sends a member delta to a node whose filter changed).
    /// </summary>
    public static NodeConfigDto Apply(NodeConfigDto? current, MeshUpdate update)
    {
        if (update.IsSnapshot)
        {
            return new NodeConfigDto(update.NodeId, update.Name, update.ToVersion,
                update.Interface ?? throw new ArgumentException("a snapshot without an interface"), update.UpsertPeers,
                update.Gateway is { IsEmpty: false } g ? g : null, update.Dns, update.Epoch, update.ServerId,
                // In a snapshot null is "no policy"; a lifted filter (None) means the same.
                update.Filter is { IsNone: false } f ? f : null);
        }
        // A delta of another lineage (a network created again, another database) does not apply whatever its numbers.
        if (current is null || current.Version != update.FromVersion || !current.SameLineage(update) || (!update.IsNetworkDelta && current.NodeId != update.NodeId))
        {
            throw new MeshVersionMismatchException(current?.Version, update.FromVersion);
        }
        var peers = MergePeers(current.Peers, update.UpsertPeers, update.RemovePeers, current.NodeId);
        if (update.IsNetworkDelta)
        {
            return current with { Version = update.ToVersion, Peers = peers, Dns = update.Dns ?? current.Dns };
        }
        return new NodeConfigDto(update.NodeId, update.Name, update.ToVersion, update.Interface ?? current.Interface, peers,
            update.Gateway is null ? current.Gateway : update.Gateway.IsEmpty ? null : update.Gateway,
            update.Dns ?? current.Dns, current.Epoch, current.ServerId,
            // In a delta null is "unchanged" and None "the policy was lifted".
            update.Filter is null ? current.Filter : update.Filter.IsNone ? null : update.Filter);
    }

    /// <summary>Orders peers as a node keeps them: by name, then node id.</summary>
    public static readonly Comparison<PeerDto> PeerOrder = (a, b) =>
    {
        var c = string.CompareOrdinal(a.Name, b.Name);
        return c != 0 ? c : string.CompareOrdinal(a.NodeId, b.NodeId);
    };

    // The peer list after removing and upserting a few peers (never the node itself). A delta touches a handful of
    // peers of thousands, so the sorted list is copied once and the upserts are inserted by binary search:
    // O(N) copying instead of rebuilding a dictionary and sorting N peers on every update.
    private static List<PeerDto> MergePeers(IReadOnlyList<PeerDto> current, IReadOnlyList<PeerDto> upserts, IReadOnlyList<string> removes, string self)
    {
        var touched = new HashSet<string>(removes, StringComparer.Ordinal);
        foreach (var p in upserts)
        {
            touched.Add(p.NodeId);
        }
        var merged = new List<PeerDto>(current.Count + upserts.Count);
        var sorted = true;
        foreach (var p in current)
        {
            if (touched.Count == 0 || !touched.Contains(p.NodeId))
            {
                sorted = sorted && (merged.Count == 0 || PeerOrder(merged[^1], p) < 0);
                merged.Add(p);
            }
        }
        if (!sorted)
        {
            merged.Sort(PeerOrder);
        }
        var latest = new Dictionary<string, PeerDto>(StringComparer.Ordinal);
        foreach (var p in upserts)
        {
            latest[p.NodeId] = p; // the last record of a peer listed twice wins
        }
        foreach (var p in latest.Values)
        {
            if (p.NodeId == self)
            {
                continue;
            }
            var at = merged.BinarySearch(p, Comparer<PeerDto>.Create(PeerOrder));
            merged.Insert(at < 0 ? ~at : at, p);
        }
        return merged;
    }

    /// <summary>Field-by-field equality (the DTO records hold lists, which records compare by reference).</summary>
    public static bool SameConfig(NodeConfigDto a, NodeConfigDto b)
    {
        if (a.NodeId != b.NodeId || a.Name != b.Name || a.Version != b.Version || !a.SameLineage(b) || !SameInterface(a.Interface, b.Interface) || a.Peers.Count != b.Peers.Count ||
            !SameGateway(a.Gateway, b.Gateway) || !SameDns(a.Dns, b.Dns) || !SameFilter(a.Filter, b.Filter))
        {
            return false;
        }
        var bp = b.Peers.ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        return a.Peers.All(p => bp.TryGetValue(p.NodeId, out var q) && SamePeer(p, q));
    }

    public static bool SamePeer(PeerDto a, PeerDto b) =>
        a.NodeId == b.NodeId && a.Name == b.Name && a.PublicKey == b.PublicKey && a.Endpoint == b.Endpoint &&
        a.PersistentKeepalive == b.PersistentKeepalive && a.AllowedIps.SequenceEqual(b.AllowedIps) && a.Endpoints.SequenceEqual(b.Endpoints) &&
        a.Relay == b.Relay && a.MappedEndpoint == b.MappedEndpoint;

    public static bool SameInterface(NodeInterfaceDto a, NodeInterfaceDto b) =>
        a.Network == b.Network && a.ListenPort == b.ListenPort && a.Mtu == b.Mtu && a.Addresses.SequenceEqual(b.Addresses) &&
        a.InternetGateway == b.InternetGateway && a.Relay == b.Relay && a.NoPunching == b.NoPunching && a.MappedEndpoint == b.MappedEndpoint &&
        (a.Candidates ?? []).SequenceEqual(b.Candidates ?? []);

    /// <summary>Structural equality of two gateway roles; null and an empty role are the same (no role).</summary>
    public static bool SameGateway(GatewayRoleDto? a, GatewayRoleDto? b)
    {
        a = a is { IsEmpty: false } ? a : null;
        b = b is { IsEmpty: false } ? b : null;
        return a is null || b is null ? a is null && b is null : SameJson(a, b, DeviceJsonContext.Default.GatewayRoleDto);
    }

    /// <summary>Structural equality of two filters; null and <see cref="MeshFilterDto.None"/> are the same (no policy).</summary>
    public static bool SameFilter(MeshFilterDto? a, MeshFilterDto? b)
    {
        a = a is { IsNone: false } ? a : null;
        b = b is { IsNone: false } ? b : null;
        // Compared field by field, not as JSON: the server compares every member's filter (thousands of sources) per change.
        return ReferenceEquals(a, b) || (a is not null && b is not null && SameRules(a.Inbound, b.Inbound) && SameRules(a.Forward, b.Forward));
    }

    private static bool SameRules(IReadOnlyList<FilterRuleDto> a, IReadOnlyList<FilterRuleDto> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        for (var i = 0; i < a.Count; i++)
        {
            var (x, y) = (a[i], b[i]);
            if (x.Protocol != y.Protocol || x.PortFrom != y.PortFrom || x.PortTo != y.PortTo ||
                !(ReferenceEquals(x.Sources, y.Sources) || x.Sources.SequenceEqual(y.Sources, StringComparer.Ordinal)) ||
                !x.Destinations.SequenceEqual(y.Destinations, StringComparer.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    public static bool SameDns(MeshDnsDto? a, MeshDnsDto? b) =>
        a is null || b is null ? a is null && b is null : SameJson(a, b, DeviceJsonContext.Default.MeshDnsDto);

    // The nested records hold lists (compared by reference); their canonical JSON compares them by value.
    private static bool SameJson<T>(T a, T b, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(a, info).AsSpan().SequenceEqual(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(b, info));
}

/// <summary>A delta that does not start where the node is: the node needs a snapshot.</summary>
public sealed class MeshVersionMismatchException(long? have, long? deltaFrom)
    : Exception($"the update starts at version {deltaFrom?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} but this node is at {have?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}; a snapshot is needed")
{
    public long? Have { get; } = have;
    public long? DeltaFrom { get; } = deltaFrom;
}
