namespace Appliance.Contracts.Api;

/// <summary>
/// GET /api/v1/node/config: the full desired state of the calling node. <see cref="Gateway"/> is present only on a
/// node with gateway roles; <see cref="Dns"/> carries the zone's names beyond the nodes (ext clients, custom entries).
/// </summary>
public sealed record NodeConfigDto(
    string NodeId,
    string Name,
    long Version,
    NodeInterfaceDto Interface,
    IReadOnlyList<PeerDto> Peers,
    Mesh.GatewayRoleDto? Gateway = null,
    Mesh.MeshDnsDto? Dns = null);

/// <summary>
/// The node's own WireGuard interface: addresses in CIDR form, listen port, MTU. <see cref="InternetGateway"/>: the
/// node id of the peer this node sends its internet traffic through (null: its own default route).
/// </summary>
public sealed record NodeInterfaceDto(string Network, IReadOnlyList<string> Addresses, int ListenPort, int Mtu, string? InternetGateway = null);

/// <summary>One WireGuard peer of the node: another node of the same network.</summary>
public sealed record PeerDto(
    string NodeId,
    string Name,
    string PublicKey,
    IReadOnlyList<string> AllowedIps,
    string? Endpoint,
    IReadOnlyList<string> Endpoints,
    int PersistentKeepalive);
