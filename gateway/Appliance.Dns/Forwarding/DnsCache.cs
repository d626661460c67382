namespace Appliance.Dns.Forwarding;

/// <summary>
/// A bounded least-recently-used cache of upstream answers; an entry expires after its own lifetime measured
/// with the given <see cref="TimeProvider"/> (tests use a fake clock).
/// </summary>
public sealed class DnsCache
{
    private readonly int _capacity;
    private readonly TimeProvider _time;
    // Keyed by the composed text of a DnsCacheKey, so a hit can be looked up from a stack span (no allocation per query).
    private readonly Dictionary<string, LinkedListNode<Slot>> _map = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<Slot>>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private readonly LinkedList<Slot> _lru = new();
    private readonly Lock _lock = new();

    public DnsCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _byText = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Characters a key's text takes beyond its name: a separator, type, class and flags.</summary>
    public const int KeySuffixLength = 4;

    /// <summary>
    /// Writes the text a key is stored under into <paramref name="destination"/> (name.Length + <see cref="KeySuffixLength"/>
    /// chars): the lower-case name, a NUL (never in a name's text form), then type, class and flags as one char each.
    /// </summary>
    public static int WriteKeyText(ReadOnlySpan<char> name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, Span<char> destination)
    {
        name.ToLowerInvariant(destination);
        destination[name.Length] = '\0';
        destination[name.Length + 1] = (char)type;
        destination[name.Length + 2] = (char)@class;
        destination[name.Length + 3] = (char)((dnssecOk ? 1 : 0) | (checkingDisabled ? 2 : 0));
        return name.Length + KeySuffixLength;
    }

    private static string KeyText(in DnsCacheKey key)
    {
        Span<char> text = key.Name.Length <= 256 ? stackalloc char[key.Name.Length + KeySuffixLength] : new char[key.Name.Length + KeySuffixLength];
        return new string(text[..WriteKeyText(key.Name, key.Type, key.Class, key.DnssecOk, key.CheckingDisabled, text)]);
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
    public bool TryGet(in DnsCacheKey key, out DnsCacheEntry entry, out TimeSpan age) => TryGet(KeyText(key), out entry, out age);

    /// <summary>The live entry stored under <paramref name="keyText"/> (see <see cref="WriteKeyText"/>).</summary>
    public bool TryGet(ReadOnlySpan<char> keyText, out DnsCacheEntry entry, out TimeSpan age)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_byText.TryGetValue(keyText, out var node))
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
                _map.Remove(node.Value.KeyText);
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
        var text = KeyText(key);
        var slot = new Slot(text, entry, _time.GetTimestamp());
        lock (_lock)
        {
            if (_map.Remove(text, out var old))
            {
                _lru.Remove(old);
            }
            while (_map.Count >= _capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.KeyText);
            }
            _map[text] = _lru.AddFirst(slot);
        }
    }

    private readonly record struct Slot(string KeyText, DnsCacheEntry Entry, long StoredAt);
}
