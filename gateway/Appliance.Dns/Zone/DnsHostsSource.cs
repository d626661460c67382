namespace Appliance.Dns.Zone;

/// <summary>
/// Names from a hosts file, served like CoreDNS's <c>hosts</c> plugin: A/AAAA for the names, PTR for the
/// addresses (unless <see cref="Reverse"/> is off). Names not in the file fall through to forwarding, unless
/// <see cref="AuthoritativeZones"/> lists zones (hosts without <c>fallthrough</c>) where they get NXDOMAIN.
/// </summary>
public sealed record DnsHostsSource(IReadOnlyList<DnsHostsEntry> Entries)
{
    public static DnsHostsSource Empty { get; } = new(Array.Empty<DnsHostsEntry>());

    public uint Ttl { get; init; } = 3600;

    public bool Reverse { get; init; } = true;

    public IReadOnlyList<string> AuthoritativeZones { get; init; } = [];
}
