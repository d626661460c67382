using System.Collections.Concurrent;
using System.Net;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Forwarding;

/// <summary>
/// Answers names that are not ours from upstream resolvers: cache first, then one upstream query per distinct
/// question however many clients ask at once (deduplication), upstreams tried in order within their timeout,
/// SERVFAIL when none gives a usable answer.
/// </summary>
public sealed class DnsForwarder
{
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly IDnsUpstreamTransport _transport;
    private readonly DnsCache _cache;
    private readonly DnsServerStatistics _stats;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _maxTtl;
    private readonly TimeSpan _maxNegativeTtl;
    private readonly ushort _udpSize;
    private readonly Action<string>? _log;
    private readonly ConcurrentDictionary<DnsCacheKey, Task<DnsCacheEntry?>> _inflight = new();

    internal DnsForwarder(DnsServerOptions options, IDnsUpstreamTransport transport, TimeProvider time, DnsServerStatistics stats)
    {
        _upstreams = [.. options.Upstreams];
        _transport = transport;
        _cache = new DnsCache(options.CacheCapacity, time);
        _stats = stats;
        _timeout = options.UpstreamTimeout;
        _maxTtl = options.CacheMaxTtl;
        _maxNegativeTtl = options.CacheMaxNegativeTtl;
        _udpSize = options.MaxUdpPayload;
        _log = options.Log;
    }

    public DnsCache Cache => _cache;

    internal ValueTask<int> ResolveAsync(ReadOnlyMemory<byte> query, DnsParsedQuery q, ReadOnlySpan<char> name, Memory<byte> response, CancellationToken ct)
    {
        // A hit is looked up from the stack (names are at most 255 octets); the key object is made only on a miss.
        Span<char> keyText = stackalloc char[name.Length + DnsCache.KeySuffixLength];
        DnsCache.WriteKeyText(name, (ushort)q.QType, q.QClass, q.DnssecOk, q.CheckingDisabled, keyText);
        if (_cache.TryGet(keyText, out var hit, out var age))
        {
            Interlocked.Increment(ref _stats._cacheHits);
            return ValueTask.FromResult(Write(query.Span, q, response.Span, hit, age));
        }
        var key = new DnsCacheKey(LowerString(name), (ushort)q.QType, q.QClass, q.DnssecOk, q.CheckingDisabled);
        return ResolveSlowAsync(query, q, key, response, ct);
    }

    private async ValueTask<int> ResolveSlowAsync(ReadOnlyMemory<byte> query, DnsParsedQuery q, DnsCacheKey key, Memory<byte> response, CancellationToken ct)
    {
        var mine = new TaskCompletionSource<DnsCacheEntry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = _inflight.GetOrAdd(key, mine.Task);
        if (task != mine.Task)
        {
            Interlocked.Increment(ref _stats._dedupJoins);
        }
        else
        {
            try
            {
                var entry = await QueryUpstreamsAsync(query, q, ct).ConfigureAwait(false);
                if (entry is not null)
                {
                    _cache.Set(key, entry);
                }
                mine.SetResult(entry);
            }
            catch (Exception e)
            {
                mine.SetResult(null);
                _log?.Invoke($"dns: forwarding {key.Name} failed: {e.Message}");
            }
            finally
            {
                _inflight.TryRemove(new KeyValuePair<DnsCacheKey, Task<DnsCacheEntry?>>(key, mine.Task));
            }
        }
        var result = await task.ConfigureAwait(false);
        if (result is null)
        {
            Interlocked.Increment(ref _stats._servFail);
            var pos = DnsResponseWriter.Begin(query.Span, q, response.Span, DnsResponseCode.ServFail, false, true);
            return q.HasEdns ? DnsResponseWriter.AppendOpt(response.Span, pos, _udpSize, q.DnssecOk, DnsResponseCode.ServFail) : pos;
        }
        return Write(query.Span, q, response.Span, result, TimeSpan.Zero);
    }

    private async Task<DnsCacheEntry?> QueryUpstreamsAsync(ReadOnlyMemory<byte> query, DnsParsedQuery q, CancellationToken ct)
    {
        // Our own query: fresh random ID, RD (+CD as asked), the client's question, our OPT with DO as asked.
        var upstreamQuery = new byte[q.QuestionEnd + DnsResponseWriter.OptLength];
        var id = (ushort)Random.Shared.Next(0, 0x10000);
        DnsHeader.Write(upstreamQuery, id, (ushort)(DnsHeader.FlagRecursionDesired | (q.Flags & DnsHeader.FlagCheckingDisabled)), 1, 0, 0, 0);
        query.Span[DnsHeader.Length..q.QuestionEnd].CopyTo(upstreamQuery.AsSpan(DnsHeader.Length));
        DnsResponseWriter.AppendOpt(upstreamQuery, q.QuestionEnd, _udpSize, q.DnssecOk, DnsResponseCode.NoError);
        foreach (var upstream in _upstreams)
        {
            try
            {
                Interlocked.Increment(ref _stats._upstreamQueries);
                var resp = await _transport.ExchangeAsync(upstream, upstreamQuery, _timeout, ct).ConfigureAwait(false);
                var entry = DnsCacheEntry.TryCreate(upstreamQuery, q.QuestionEnd, resp, _maxTtl, _maxNegativeTtl);
                if (entry is { ResponseCode: DnsResponseCode.NoError or DnsResponseCode.NXDomain })
                {
                    return entry;
                }
                _log?.Invoke($"dns: upstream {upstream} gave {(entry is null ? "an unusable answer" : entry.ResponseCode.ToString())}");
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException && !ct.IsCancellationRequested)
            {
                _log?.Invoke($"dns: upstream {upstream}: {e.Message}");
            }
        }
        return null;
    }

    private int Write(ReadOnlySpan<byte> query, in DnsParsedQuery q, Span<byte> resp, DnsCacheEntry entry, TimeSpan age)
    {
        var pos = DnsResponseWriter.Begin(query, q, resp, entry.ResponseCode, false, true);
        // Keep the upstream's AD bit only for a client that asked for DNSSEC data (RFC 6840 5.8).
        if ((entry.Flags & DnsHeader.FlagAuthenticData) != 0 && (q.DnssecOk || (q.Flags & DnsHeader.FlagAuthenticData) != 0))
        {
            DnsHeader.SetFlags(resp, (ushort)(DnsHeader.Flags(resp) | DnsHeader.FlagAuthenticData));
        }
        pos += entry.WriteBody(resp[pos..], age);
        DnsHeader.SetCounts(resp, entry.AnswerCount, entry.AuthorityCount, entry.AdditionalCount);
        if (entry.ResponseCode == DnsResponseCode.NXDomain)
        {
            Interlocked.Increment(ref _stats._nxDomain);
        }
        return q.HasEdns ? DnsResponseWriter.AppendOpt(resp, pos, _udpSize, q.DnssecOk, entry.ResponseCode) : pos;
    }

    private static string LowerString(ReadOnlySpan<char> name)
    {
        Span<char> lower = stackalloc char[name.Length];
        name.ToLowerInvariant(lower);
        return new string(lower);
    }
}
