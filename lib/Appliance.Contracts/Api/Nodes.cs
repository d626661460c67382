namespace Appliance.Contracts.Api;

/// <summary>
/// A node (one device in one network) as the API returns it. <see cref="Online"/>: seen within the server's
/// OfflineAfterSeconds. NAT traversal (issue #18): <see cref="Relay"/> (an admin made it a relay),
/// <see cref="MappedEndpoint"/> (its public address as a relay observes it), the owner's opt-outs, and
/// <see cref="Paths"/>: how it reaches each peer, as its agent last reported (null: no report since the server started).
/// </summary>
public sealed record NodeDto(
    string Id,
    string Network,
    string Name,
    string Hostname,
    string PublicKey,
    string? Ipv4Address,
    string? Ipv6Address,
    int ListenPort,
    IReadOnlyList<string> Endpoints,
    string Os,
    string Version,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeen,
    bool Online = false,
    IngressDto? Ingress = null,
    EgressDto? Egress = null,
    string? InternetGateway = null,
    bool Relay = false,
    string? MappedEndpoint = null,
    bool NoRelay = false,
    bool NoPunch = false,
    IReadOnlyList<Mesh.PeerPathReport>? Paths = null);

/// <summary>PATCH /api/v1/nodes/{id}: absent fields stay as they are.</summary>
public sealed record UpdateNodeRequest
{
    public string? Name { get; init; }
    public int? ListenPort { get; init; }
    public IReadOnlyList<string>? Endpoints { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>The id of an egress node with 0.0.0.0/0 or ::/0 to send this node's internet traffic through; "" clears it.</summary>
    public string? InternetGateway { get; init; }
}
