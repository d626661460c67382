using System.Collections.Concurrent;

namespace Appliance.Server.Services;

/// <summary>
/// Recent transfer counters per node and per ext client, as their gateways and agents report them, for the console's
/// charts. In memory only (a restart starts empty): the newest <see cref="MaxSamples"/> per key, at most
/// <see cref="MaxKeys"/> keys (past it the key that reported longest ago goes), and a key is forgotten when its node or
/// client is deleted.
/// </summary>
public sealed class TransferHistory
{
    /// <summary>Samples kept per node or client: with a report every 30 s, an hour and a half.</summary>
    public const int MaxSamples = 180;

    public const int MaxKeys = 20_000;

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);

    public static string NodeKey(string nodeId) => "node/" + nodeId;

    public static string ExtClientKey(string clientId) => "client/" + clientId;

    public void Record(string key, DateTimeOffset at, long rxBytes, long txBytes)
    {
        if (rxBytes < 0 || txBytes < 0)
        {
            return;
        }
        var ring = _rings.GetOrAdd(key, _ => new Ring());
        lock (ring)
        {
            ring.Add(new TransferSampleDto(at, rxBytes, txBytes));
        }
        if (_rings.Count > MaxKeys)
        {
            // Rare (more nodes and clients than any network has): drop the one that reported longest ago.
            var stalest = _rings.MinBy(r => r.Value.LastAt).Key;
            _rings.TryRemove(stalest, out _);
        }
    }

    public IReadOnlyList<TransferSampleDto> Get(string key)
    {
        if (!_rings.TryGetValue(key, out var ring))
        {
            return [];
        }
        lock (ring)
        {
            return ring.ToList();
        }
    }

    public void Forget(string key) => _rings.TryRemove(key, out _);

    private sealed class Ring
    {
        private readonly TransferSampleDto[] _samples = new TransferSampleDto[MaxSamples];
        private int _next;
        private int _count;

        public DateTimeOffset LastAt { get; private set; }

        public void Add(TransferSampleDto sample)
        {
            _samples[_next] = sample;
            _next = (_next + 1) % MaxSamples;
            _count = Math.Min(_count + 1, MaxSamples);
            LastAt = sample.At;
        }

        public List<TransferSampleDto> ToList()
        {
            var list = new List<TransferSampleDto>(_count);
            for (var i = 0; i < _count; i++)
            {
                list.Add(_samples[(_next - _count + i + MaxSamples) % MaxSamples]);
            }
            return list;
        }
    }
}
