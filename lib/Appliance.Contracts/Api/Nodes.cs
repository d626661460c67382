namespace Appliance.Contracts.Api;

/// <summary>A node (one device in one network) as the API returns it. <see cref="Online"/>: seen within the server's OfflineAfterSeconds.</summary>
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
    string? InternetGateway = null);

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
