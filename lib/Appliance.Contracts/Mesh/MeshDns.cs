namespace Appliance.Contracts.Mesh;

/// <summary>
/// The network's names beyond its nodes (which every member already has as peers): ext clients and custom entries,
/// and the zone they live in (<c>&lt;network&gt;</c>, or <c>&lt;network&gt;.&lt;suffix&gt;</c> when the server has a DNS suffix).
/// </summary>
public sealed record MeshDnsDto
{
    public required string Zone { get; init; }
    public IReadOnlyList<DnsRecordDto> Records { get; init; } = [];
}

/// <summary>One name in the zone: <see cref="Name"/> relative to the zone; <see cref="Type"/> A, AAAA or CNAME.</summary>
public sealed record DnsRecordDto(string Name, string Type, string Value);
