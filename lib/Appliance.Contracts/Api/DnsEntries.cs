namespace Appliance.Contracts.Api;

/// <summary>
/// POST /api/v1/networks/{name}/dns: a custom name in the network's zone. <see cref="Name"/> is relative to the
/// zone (e.g. "printer" becomes printer.&lt;network&gt;); <see cref="Type"/> is A, AAAA or CNAME.
/// </summary>
public sealed record CreateDnsEntryRequest
{
    public string? Name { get; init; }
    public string? Type { get; init; }
    public string? Value { get; init; }
}

/// <summary>A custom DNS entry as the API returns it.</summary>
public sealed record DnsEntryDto(string Id, string Network, string Name, string Type, string Value);
