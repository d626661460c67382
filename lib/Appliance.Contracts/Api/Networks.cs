namespace Appliance.Contracts.Api;

/// <summary>A mesh network as the API returns it.</summary>
public sealed record NetworkDto(
    string Name,
    string Ipv4Cidr,
    string? Ipv6Cidr,
    int ListenPort,
    int Mtu,
    int Keepalive,
    long Version,
    int NodeCount,
    DateTimeOffset CreatedAt,
    bool Punching = true);

/// <summary>POST /api/v1/networks. Absent optional fields take the defaults (51821, 1420, 20 s).</summary>
public sealed record CreateNetworkRequest
{
    public string? Name { get; init; }
    public string? Ipv4Cidr { get; init; }
    public string? Ipv6Cidr { get; init; }
    public int? ListenPort { get; init; }
    public int? Mtu { get; init; }
    public int? Keepalive { get; init; }
    /// <summary>Hole punching between nodes behind NAT (issue #18); on unless false.</summary>
    public bool? Punching { get; init; }
}

/// <summary>PATCH /api/v1/networks/{name}: absent fields stay as they are; an empty ipv6Cidr removes IPv6.</summary>
public sealed record UpdateNetworkRequest
{
    public string? Ipv4Cidr { get; init; }
    public string? Ipv6Cidr { get; init; }
    public int? ListenPort { get; init; }
    public int? Mtu { get; init; }
    public int? Keepalive { get; init; }
    /// <summary>Hole punching between nodes behind NAT (issue #18); on unless false.</summary>
    public bool? Punching { get; init; }
}
