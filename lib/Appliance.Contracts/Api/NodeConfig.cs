namespace Appliance.Contracts.Api;

/// <summary>GET /api/v1/node/config: the full desired state of the calling node.</summary>
public sealed record NodeConfigDto(
    string NodeId,
    string Name,
    long Version,
    NodeInterfaceDto Interface,
    IReadOnlyList<PeerDto> Peers);

/// <summary>The node's own WireGuard interface: addresses in CIDR form, listen port, MTU.</summary>
public sealed record NodeInterfaceDto(string Network, IReadOnlyList<string> Addresses, int ListenPort, int Mtu);

/// <summary>One WireGuard peer of the node: another node of the same network.</summary>
public sealed record PeerDto(
    string NodeId,
    string Name,
    string PublicKey,
    IReadOnlyList<string> AllowedIps,
    string? Endpoint,
    IReadOnlyList<string> Endpoints,
    int PersistentKeepalive);
