namespace Appliance.Dns.Server;

/// <summary>Counters kept by the server (all since start, updated with Interlocked).</summary>
public sealed class DnsServerStatistics
{
    internal long _udpReceived;
    internal long _udpReceiveCalls;
    internal long _tcpReceived;
    internal long _responses;
    internal long _dropped;
    internal long _formErr;
    internal long _notImp;
    internal long _refused;
    internal long _nxDomain;
    internal long _servFail;
    internal long _truncated;
    internal long _local;
    internal long _cacheHits;
    internal long _upstreamQueries;
    internal long _dedupJoins;
    internal long _tcpConnections;
    internal long _handlerErrors;

    public long UdpReceived => Interlocked.Read(ref _udpReceived);

    /// <summary>System calls that took UDP datagrams: fewer than <see cref="UdpReceived"/> when queries were taken in batches.</summary>
    public long UdpReceiveCalls => Interlocked.Read(ref _udpReceiveCalls);

    public long TcpReceived => Interlocked.Read(ref _tcpReceived);

    /// <summary>Messages taken off the wire (UDP datagrams and TCP messages), well-formed or not.</summary>
    public long Received => UdpReceived + TcpReceived;

    public long Responses => Interlocked.Read(ref _responses);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long FormErr => Interlocked.Read(ref _formErr);

    public long NotImp => Interlocked.Read(ref _notImp);

    public long Refused => Interlocked.Read(ref _refused);

    public long NXDomain => Interlocked.Read(ref _nxDomain);

    public long ServFail => Interlocked.Read(ref _servFail);

    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>Queries answered from the zones and hosts (not forwarded).</summary>
    public long AnsweredLocally => Interlocked.Read(ref _local);

    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Queries sent to upstream resolvers (after cache and deduplication).</summary>
    public long UpstreamQueries => Interlocked.Read(ref _upstreamQueries);

    /// <summary>Forwarded questions that joined an identical upstream query already in flight.</summary>
    public long DedupJoins => Interlocked.Read(ref _dedupJoins);

    public long TcpConnections => Interlocked.Read(ref _tcpConnections);

    public long HandlerErrors => Interlocked.Read(ref _handlerErrors);

    public override string ToString() =>
        $"received={Received} (udp {UdpReceived} in {UdpReceiveCalls} calls, tcp {TcpReceived}) responses={Responses} dropped={Dropped} local={AnsweredLocally} "
        + $"cache_hits={CacheHits} upstream={UpstreamQueries} dedup={DedupJoins} formerr={FormErr} notimp={NotImp} refused={Refused} "
        + $"nxdomain={NXDomain} servfail={ServFail} truncated={Truncated} tcp_conns={TcpConnections} errors={HandlerErrors}";
}
