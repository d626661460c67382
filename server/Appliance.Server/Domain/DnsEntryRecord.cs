namespace Appliance.Server.Domain;

/// <summary>A custom DNS entry in a network's zone: <see cref="Name"/> relative to the zone, <see cref="Type"/> A, AAAA or CNAME.</summary>
public sealed record DnsEntryRecord(string Id, string Network, string Name, string Type, string Value, DateTimeOffset CreatedAt);
