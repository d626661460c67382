using System.Net;

namespace Appliance.Dns.Zone;

/// <summary>One line of a hosts file: an address and its absolute names (the first is canonical, for PTR).</summary>
public sealed record DnsHostsEntry(IPAddress Address, IReadOnlyList<string> Names, int Line);
