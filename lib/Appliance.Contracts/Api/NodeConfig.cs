namespace Appliance.Contracts.Api;

/// <summary>
/// GET /api/v1/node/config: the full desired state of the calling node. <see cref="Gateway"/> is present only on a
/// node with gateway roles; <see cref="Filter"/> only when its network has an access policy; <see cref="Dns"/> carries the zone's names beyond the nodes (ext clients, custom entries).
/// <see cref="Epoch"/> (the network's, fixed at its creation) and <see cref="ServerId"/> name the lineage
/// <see cref="Version"/> counts in (<see cref="Mesh.MeshUpdate.Epoch"/>).
/// </summary>
public sealed record NodeConfigDto(
    string NodeId,
    string Name,
    long Version,
    NodeInterfaceDto Interface,
    IReadOnlyList<PeerDto> Peers,
    Mesh.GatewayRoleDto? Gateway = null,
    Mesh.MeshDnsDto? Dns = null,
    string? Epoch = null,
    string? ServerId = null,
    Mesh.MeshFilterDto? Filter = null)
{
    /// <summary>True when <paramref name="update"/> counts its versions in this state's lineage (same epoch, same server).</summary>
    public bool SameLineage(Mesh.MeshUpdate update) =>
        string.Equals(Epoch, update.Epoch, StringComparison.Ordinal) && string.Equals(ServerId, update.ServerId, StringComparison.Ordinal);

    /// <summary>True when <paramref name="other"/> counts its versions in this state's lineage.</summary>
    public bool SameLineage(NodeConfigDto other) =>
        string.Equals(Epoch, other.Epoch, StringComparison.Ordinal) && string.Equals(ServerId, other.ServerId, StringComparison.Ordinal);
}

/// <summary>
/// The node's own WireGuard interface: addresses in CIDR form, listen port, MTU. <see cref="InternetGateway"/>: the
/// node id of the peer this node sends its internet traffic through (null: its own default route).
/// NAT traversal (issue #18): <see cref="Relay"/> = this node forwards between peers that cannot meet;
/// <see cref="NoPunching"/> = its network turned hole punching off; <see cref="MappedEndpoint"/> = its WireGuard
/// socket's public (NAT-mapped) address as a relay observed it; <see cref="Candidates"/> = its own candidate list,
/// exactly as its peers receive it (a pair restarts its path search when either side's list changes).
/// </summary>
public sealed record NodeInterfaceDto(
    string Network,
    IReadOnlyList<string> Addresses,
    int ListenPort,
    int Mtu,
    string? InternetGateway = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool Relay = false,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool NoPunching = false,
    string? MappedEndpoint = null,
    IReadOnlyList<string>? Candidates = null);

/// <summary>
/// One WireGuard peer of the node: another node of the same network. <see cref="Endpoints"/> is the ordered candidate
/// list (the NAT-mapped address first, then the addresses the node reported), <see cref="Endpoint"/> its first entry;
/// <see cref="MappedEndpoint"/> the mapped one alone (the receiving agent puts the LAN addresses first when it shares
/// that public address); <see cref="Relay"/>: the peer forwards for pairs that cannot meet directly.
/// </summary>
public sealed record PeerDto(
    string NodeId,
    string Name,
    string PublicKey,
    IReadOnlyList<string> AllowedIps,
    string? Endpoint,
    IReadOnlyList<string> Endpoints,
    int PersistentKeepalive,
    // Off for all but a few relays: left out of the wire then (every snapshot carries every peer).
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] bool Relay = false,
    string? MappedEndpoint = null);
