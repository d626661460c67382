using System.Text.Json.Serialization;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// The gateway roles one node runs, as its agent needs them: which ext clients to accept as WireGuard peers and
/// what to forward. In a delta an empty role (no ingress, no egress) means "the roles were removed".
/// </summary>
public sealed record GatewayRoleDto
{
    public IngressRoleDto? Ingress { get; init; }
    public EgressRoleDto? Egress { get; init; }
    /// <summary>The mesh network's own ranges (CIDR), for forwarding rules and the DNS server's client check.</summary>
    public IReadOnlyList<string> MeshRanges { get; init; } = [];
    /// <summary>Other gateways' egress ranges in this network (site-to-site: this gateway's LAN reaches them through the mesh).</summary>
    public IReadOnlyList<string> RemoteRanges { get; init; } = [];

    [JsonIgnore]
    public bool IsEmpty => Ingress is null && Egress is null;

    public static GatewayRoleDto None { get; } = new();
}

/// <summary>The ingress role: ext clients are WireGuard peers of this node; <see cref="Nat"/> masquerades them into the mesh.</summary>
public sealed record IngressRoleDto
{
    public bool Nat { get; init; }
    /// <summary>Run the embedded DNS server on the gateway's mesh address for the clients.</summary>
    public bool Dns { get; init; } = true;
    public IReadOnlyList<ExtClientPeerDto> Clients { get; init; } = [];
}

/// <summary>
/// One ext client as its gateway sees it. <see cref="Enabled"/> false (disabled on the server) means: no peer, traffic
/// dropped. <see cref="ExpiresAt"/> is enforced by the gateway itself too, so expiry holds while the server is down.
/// </summary>
public sealed record ExtClientPeerDto(
    string Id,
    string Name,
    string PublicKey,
    IReadOnlyList<string> Addresses,
    bool Enabled,
    DateTimeOffset? ExpiresAt);

/// <summary>The egress role: ranges behind this node that the mesh reaches through it.</summary>
public sealed record EgressRoleDto
{
    public IReadOnlyList<string> Ranges { get; init; } = [];
    public bool Nat { get; init; } = true;
}
