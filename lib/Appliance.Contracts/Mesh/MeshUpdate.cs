using Appliance.Contracts.Api;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// What the server pushes to one node. A snapshot carries the whole desired state; a delta carries only what changed
/// between <see cref="FromVersion"/> and <see cref="ToVersion"/>: peers added or changed (whole peer records),
/// peers removed (by node id), and the interface when it changed. A single node joining an N-node network
/// therefore costs each other node one peer record, O(N) bytes in total.
/// </summary>
public sealed record MeshUpdate
{
    public const string SnapshotKind = "snapshot";
    public const string DeltaKind = "delta";

    public required string Kind { get; init; }
    public required string NodeId { get; init; }
    public required string Name { get; init; }
    /// <summary>The version a delta applies to; null for a snapshot.</summary>
    public long? FromVersion { get; init; }
    public required long ToVersion { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
    /// <summary>The interface: always in a snapshot, in a delta only when it changed.</summary>
    public NodeInterfaceDto? Interface { get; init; }
    public IReadOnlyList<PeerDto> UpsertPeers { get; init; } = [];
    public IReadOnlyList<string> RemovePeers { get; init; } = [];
    /// <summary>The node's gateway roles: in a snapshot when it has any, in a delta only when they changed (empty = removed).</summary>
    public GatewayRoleDto? Gateway { get; init; }
    /// <summary>The zone's extra names: always in a snapshot, in a delta only when they changed.</summary>
    public MeshDnsDto? Dns { get; init; }

    public bool IsSnapshot => Kind == SnapshotKind;
}
