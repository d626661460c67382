using System.Net;

namespace Appliance.Dns.Config;

/// <summary>
/// What we take from a CoreDNS Corefile: one server block's zones and port, and the <c>bind</c>, <c>hosts</c>,
/// <c>forward</c>, <c>cache</c>, <c>reload</c> and <c>log</c> directives.
/// </summary>
public sealed record DnsCorefile
{
    public required IReadOnlyList<string> Zones { get; init; }

    public int Port { get; init; } = 53;

    /// <summary>Addresses from <c>bind</c>; empty means all (CoreDNS default), which the CLI maps to loopback unless told otherwise.</summary>
    public IReadOnlyList<IPAddress> Bind { get; init; } = [];

    public string? HostsFile { get; init; }

    public bool HostsFallthrough { get; init; }

    public uint HostsTtl { get; init; } = 3600;

    public bool HostsReverse { get; init; } = true;

    /// <summary>How often the hosts file is checked for changes (hosts <c>reload</c>, or the top-level <c>reload</c>).</summary>
    public TimeSpan HostsReload { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<IPEndPoint> Upstreams { get; init; } = [];

    public bool CacheEnabled { get; init; }

    public TimeSpan? CacheTtl { get; init; }

    public bool Log { get; init; }
}
