using System.Text.Json.Serialization;
using Appliance.Contracts.Api;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// What the server pushes to one node. A snapshot carries the whole desired state; a delta carries only what changed
/// between <see cref="FromVersion"/> and <see cref="ToVersion"/>: peers added or changed (whole peer records),
/// peers removed (by node id), and the interface when it changed. A single node joining an N-node network
/// therefore costs each other node one peer record, O(N) bytes in total.
/// A network delta (<see cref="NetworkDeltaKind"/>) is the same peer change addressed to every member of
/// <see cref="Network"/> at once, so the server signs and serializes it once per change instead of once per member;
/// a member applies it minus its own peer record and keeps its own name, interface and gateway roles. Members whose
/// own settings changed in that step get a delta of their own instead and are listed in <see cref="Except"/>.
/// Every update names its lineage: the network's <see cref="Epoch"/> and the <see cref="ServerId"/>; versions are
/// compared only within one lineage. A signing-key announcement (<see cref="SigningKeyKind"/>) is the one message
/// that is not an update: signed by the server's current key, it names the key that replaces it.
/// </summary>
public sealed record MeshUpdate
{
    public const string SnapshotKind = "snapshot";
    public const string DeltaKind = "delta";
    public const string NetworkDeltaKind = "network-delta";
    /// <summary>A signing-key announcement: <see cref="NextSigningKey"/>, signed by the key it replaces.</summary>
    public const string SigningKeyKind = "signing-key";
    /// <summary>The <see cref="NodeId"/> of a network delta or a shared snapshot part, addressed to no single node.</summary>
    public const string AnyMember = "*";

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
    /// <summary>
    /// The access-policy filter for this node (<see cref="MeshFilterDto"/>): in a snapshot when the network has a
    /// policy, in a delta only when it changed (<see cref="MeshFilterDto.None"/> = the policy was removed).
    /// </summary>
    public MeshFilterDto? Filter { get; init; }

    /// <summary>The network a network delta or shared snapshot part is for (its members apply it); null otherwise.</summary>
    public string? Network { get; init; }
    /// <summary>Members of <see cref="Network"/> that must not apply this network delta (they get their own delta).</summary>
    public IReadOnlyList<string> Except { get; init; } = [];

    /// <summary>
    /// A snapshot of a large network comes in several messages (each under the MQTT client's packet limit): this one's
    /// index from 0, of <see cref="Parts"/>. Part 0 is the node's own (its interface, gateway roles and names, and
    /// <see cref="PartDigests"/>); every other part carries a share of the peers and is shared by the whole network
    /// (<see cref="NodeId"/> <see cref="AnyMember"/>, <see cref="Network"/> set, every member's record including the
    /// receiver's, which it leaves out), signed once for all members. Both null for a snapshot in one message.
    /// </summary>
    public int? Part { get; init; }
    public int? Parts { get; init; }

    /// <summary>
    /// In part 0 of a snapshot whose other parts are shared: the digest (<see cref="MeshSnapshotAssembler.Digest"/>)
    /// of each shared part's signed message, in order. The node's own signed part names exactly the shared parts
    /// that make its state, so no other authentic part (another network that had the same name, an older database)
    /// can be mixed in.
    /// </summary>
    public IReadOnlyList<string>? PartDigests { get; init; }

    /// <summary>
    /// The network's epoch: random, fixed when the network was created. A network deleted and created again under the
    /// same name has a new one, so versions of the old network are never compared with versions of the new.
    /// </summary>
    public string? Epoch { get; init; }

    /// <summary>The id the server made on its first start (its store's): updates of another server or database are another lineage.</summary>
    public string? ServerId { get; init; }

    /// <summary>In a signing-key announcement: the server's new Ed25519 public key (base64), which signs everything from then on.</summary>
    public string? NextSigningKey { get; init; }

    // Derived from the fields above, so never on the wire (each would add ~25 bytes to every message).
    [JsonIgnore]
    public bool IsSnapshot => Kind == SnapshotKind;

    [JsonIgnore]
    public bool IsNetworkDelta => Kind == NetworkDeltaKind;

    [JsonIgnore]
    public bool IsSigningKeyAnnouncement => Kind == SigningKeyKind;

    /// <summary>A part of a snapshot signed once for every member of <see cref="Network"/>.</summary>
    [JsonIgnore]
    public bool IsSharedSnapshotPart => IsSnapshot && NodeId == AnyMember;
}
