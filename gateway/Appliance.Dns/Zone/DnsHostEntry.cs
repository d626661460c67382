using System.Net;

namespace Appliance.Dns.Zone;

/// <summary>
/// One name of a mesh zone and its addresses: a node, an ext client or a custom entry. <see cref="Name"/> is
/// relative to the zone ("laptop" in zone "home" is laptop.home); it may have several labels ("printer.office").
/// </summary>
public sealed record DnsHostEntry(string Name, IReadOnlyList<IPAddress> Addresses);
