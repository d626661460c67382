using System.Net;

namespace Appliance.Dns.Server;

/// <summary>How a <see cref="DnsServer"/> listens, whom it answers, and where it forwards.</summary>
public sealed class DnsServerOptions
{
    /// <summary>Addresses to listen on, UDP and TCP each (e.g. the gateway's mesh address:53, optionally 127.0.0.1:53). Port 0 picks a free port.</summary>
    public IList<IPEndPoint> Listen { get; } = [];

    /// <summary>Sources allowed to ask besides loopback and the zones' mesh ranges (e.g. the ext-client range). Others get REFUSED.</summary>
    public IList<IPNetwork> AllowedRanges { get; } = [];

    /// <summary>Upstream resolvers for names that are not ours, tried in order. None: such questions get REFUSED.</summary>
    public IList<IPEndPoint> Upstreams { get; } = [];

    /// <summary>Most cached upstream answers (positive and negative together).</summary>
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>Cap on the cached lifetime of positive answers (CoreDNS <c>cache TTL</c>).</summary>
    public TimeSpan CacheMaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Cap on the cached lifetime of NXDOMAIN/NODATA answers (taken from the SOA, RFC 2308 5).</summary>
    public TimeSpan CacheMaxNegativeTtl { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Wait for one upstream before trying the next.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest UDP answer we send, whatever the client advertises (DNS flag day 2020: 1232).</summary>
    public ushort MaxUdpPayload { get; set; } = 1232;

    /// <summary>A TCP connection with no new query for this long is closed (RFC 7766 6.2.3).</summary>
    public TimeSpan TcpIdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxTcpConnections { get; set; } = 256;

    /// <summary>
    /// UDP sockets (SO_REUSEPORT, one receive loop each) per listen address. One by default: with two, the p99 at a
    /// fixed 10k qps was 11x dnsmasq's (wake-ups of two threads on a busy 2-core box); with one it is on par, and the
    /// maximum rate stays at dnsmasq's level (docs/BENCHMARKS.md). Raise it on machines with cores to spare.
    /// </summary>
    public int UdpReceiveLoops { get; set; } = 1;

    /// <summary>
    /// Datagrams a receive loop takes per recvmmsg(2), answered with one sendmmsg(2). Under load the two system
    /// calls are shared by the whole batch; when queries come one at a time a batch is one datagram. 1 uses plain
    /// recvfrom/sendto. Each slot costs 4 KB for the query and <see cref="MaxUdpPayload"/> for the answer.
    /// </summary>
    public int UdpBatchSize { get; set; } = 16;

    /// <summary>
    /// After an update that leaves at least this many names, run a compacting collection so the garbage of the
    /// rebuild is returned to the system at once (a device keeps a small resident set). 0 disables it.
    /// </summary>
    public int CompactAfterUpdateNames { get; set; } = 2000;

    /// <summary>When set, one line per query in CoreDNS <c>log</c> style.</summary>
    public Action<string>? QueryLog { get; set; }

    /// <summary>Errors and notices (reloads, upstream failures).</summary>
    public Action<string>? Log { get; set; }
}
