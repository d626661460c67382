using System.Net;

namespace Appliance.Broker;

/// <summary>
/// New connections per source address: one token bucket (<see cref="MqttConnectionRateLimiter"/>) per address, so an
/// address that floods the listener spends its own budget and not the broker-wide one that everyone else shares.
/// Buckets that refilled are forgotten (<see cref="Prune"/>); beyond <c>maxSources</c> addresses tracked at once,
/// new addresses share one overflow bucket, so the table stays bounded whatever the number of sources.
/// </summary>
internal sealed class MqttSourceRateLimiter
{
    private readonly int _perSecond;
    private readonly int _maxSources;
    private readonly Dictionary<IPAddress, MqttConnectionRateLimiter> _buckets = [];
    private readonly MqttConnectionRateLimiter _overflow;
    private readonly Lock _lock = new();

    public MqttSourceRateLimiter(int perSecond, int maxSources, long nowMs)
    {
        _perSecond = perSecond;
        _maxSources = maxSources;
        _overflow = new MqttConnectionRateLimiter(perSecond, nowMs);
    }

    /// <summary>Addresses with a bucket now (for tests and diagnostics).</summary>
    public int TrackedSources
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>Takes one token from <paramref name="source"/>'s bucket; false when that address is over its rate.</summary>
    public bool TryAcquire(IPAddress? source, long nowMs)
    {
        if (source is null)
        {
            return _overflow.TryAcquire(nowMs);
        }
        // A v4 client on a dual-stack socket arrives as ::ffff:a.b.c.d; it is the same source as a.b.c.d.
        var key = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        MqttConnectionRateLimiter? bucket;
        lock (_lock)
        {
            if (!_buckets.TryGetValue(key, out bucket))
            {
                if (_buckets.Count >= _maxSources)
                {
                    bucket = _overflow;
                }
                else
                {
                    bucket = new MqttConnectionRateLimiter(_perSecond, nowMs);
                    _buckets.Add(key, bucket);
                }
            }
        }
        return bucket.TryAcquire(nowMs);
    }

    /// <summary>Forgets the addresses whose buckets refilled: they would behave exactly like a new bucket.</summary>
    public void Prune(long nowMs)
    {
        lock (_lock)
        {
            foreach (var (address, bucket) in _buckets)
            {
                if (bucket.IsFull(nowMs))
                {
                    _buckets.Remove(address);
                }
            }
        }
    }
}
