namespace Appliance.Dns.Forwarding;

/// <summary>
/// A bounded least-recently-used cache of upstream answers; an entry expires after its own lifetime measured
/// with the given <see cref="TimeProvider"/> (tests use a fake clock).
/// </summary>
public sealed class DnsCache
{
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<DnsCacheKey, LinkedListNode<Slot>> _map = [];
    private readonly LinkedList<Slot> _lru = new();
    private readonly Lock _lock = new();

    public DnsCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>The live entry for <paramref name="key"/> and how long ago it was stored.</summary>
    public bool TryGet(in DnsCacheKey key, out DnsCacheEntry entry, out TimeSpan age)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                age = _time.GetElapsedTime(node.Value.StoredAt, now);
                if (age < node.Value.Entry.Lifetime)
                {
                    _lru.Remove(node);
                    _lru.AddFirst(node);
                    entry = node.Value.Entry;
                    return true;
                }
                _lru.Remove(node);
                _map.Remove(key);
            }
        }
        entry = null!;
        age = default;
        return false;
    }

    public void Set(in DnsCacheKey key, DnsCacheEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Lifetime <= TimeSpan.Zero || _capacity == 0)
        {
            return;
        }
        var slot = new Slot(key, entry, _time.GetTimestamp());
        lock (_lock)
        {
            if (_map.Remove(key, out var old))
            {
                _lru.Remove(old);
            }
            while (_map.Count >= _capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
            }
            _map[key] = _lru.AddFirst(slot);
        }
    }

    private readonly record struct Slot(DnsCacheKey Key, DnsCacheEntry Entry, long StoredAt);
}
