namespace Appliance.Contracts.Api;

/// <summary>
/// POST /api/v1/networks/{name}/ext-clients: a plain WireGuard client attached to an ingress gateway.
/// Without <see cref="PublicKey"/> the server generates the key pair and the config carries the private key;
/// with one, the server never sees a private key and the config has a placeholder the user fills in.
/// </summary>
public sealed record CreateExtClientRequest
{
    public string? Name { get; init; }
    /// <summary>The ingress gateway's node id.</summary>
    public string? Gateway { get; init; }
    public string? PublicKey { get; init; }
    public bool? Enabled { get; init; }
    /// <summary>After this instant the client stops working (its peer is removed and its traffic dropped).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>PATCH /api/v1/ext-clients/{id}: absent fields stay as they are; <see cref="ClearExpiry"/> removes the expiry.</summary>
public sealed record UpdateExtClientRequest
{
    public string? Name { get; init; }
    public bool? Enabled { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool? ClearExpiry { get; init; }
}

/// <summary>
/// An ext client as the API returns it. <see cref="Active"/> = enabled and not expired. The transfer counters and
/// last handshake are what its gateway last reported (null before the first report).
/// </summary>
public sealed record ExtClientDto(
    string Id,
    string Network,
    string Name,
    string Gateway,
    string PublicKey,
    string? Ipv4Address,
    string? Ipv6Address,
    bool Enabled,
    DateTimeOffset? ExpiresAt,
    bool Active,
    bool HasServerKey,
    DateTimeOffset CreatedAt,
    long? RxBytes = null,
    long? TxBytes = null,
    DateTimeOffset? LastHandshake = null);
