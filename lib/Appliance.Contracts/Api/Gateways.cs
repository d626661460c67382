namespace Appliance.Contracts.Api;

/// <summary>
/// PUT /api/v1/nodes/{id}/ingress: make the node an ingress gateway for plain WireGuard clients ("ext clients").
/// <see cref="Nat"/>: masquerade ext-client traffic entering the mesh to the gateway's mesh address (the other
/// nodes never see ext-client addresses); false routes it (the other nodes get the ext clients' addresses in the
/// gateway's allowed IPs). <see cref="Dns"/>: the DNS servers written into the clients' wg-quick files; absent =
/// the gateway's own mesh address (its embedded DNS server).
/// </summary>
public sealed record IngressRequest
{
    public bool? Nat { get; init; }
    public IReadOnlyList<string>? Dns { get; init; }
}

/// <summary>A node's ingress role as the API returns it.</summary>
public sealed record IngressDto(string NodeId, bool Nat, IReadOnlyList<string> Dns, int ExtClientCount);

/// <summary>
/// PUT /api/v1/nodes/{id}/egress: the node routes the mesh to <see cref="Ranges"/> (CIDRs behind it, e.g. an office
/// LAN; 0.0.0.0/0 or ::/0 makes it an internet gateway). <see cref="Nat"/> (default true) masquerades mesh traffic
/// leaving towards those ranges to the gateway's own address there.
/// </summary>
public sealed record EgressRequest
{
    public IReadOnlyList<string>? Ranges { get; init; }
    public bool? Nat { get; init; }
}

/// <summary>A node's egress role as the API returns it.</summary>
public sealed record EgressDto(string NodeId, IReadOnlyList<string> Ranges, bool Nat);
