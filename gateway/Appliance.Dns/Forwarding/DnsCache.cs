namespace Appliance.Dns.Forwarding;

/// <summary>
/// A bounded cache of upstream answers; an entry expires after its own lifetime measured with the given
/// <see cref="TimeProvider"/> (tests use a fake clock; the system clock is read at its coarse, cheap resolution,
/// plenty for TTLs in seconds). When full, the entry to drop is chosen by the CLOCK algorithm (second chance): a
/// hit only sets a flag, so a lookup moves nothing; the sweep skips (and clears) flagged entries and drops the
/// first one not used since the hand last passed it.
/// </summary>
public sealed class DnsCache
{
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly bool _systemClock;
    // Keyed by the composed text of a DnsCacheKey, so a hit can be looked up from a stack span (no allocation per query).
    private readonly Dictionary<string, int> _map = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private readonly Stack<int> _free = new();
    private readonly Lock _lock = new();
    private Slot[] _slots = [];
    private int _used;
    private int _hand;

    public DnsCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _systemClock = ReferenceEquals(time, TimeProvider.System);
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
        var now = NowMs();
        lock (_lock)
        {
            if (_byText.TryGetValue(keyText, out var i))
            {
                ref var slot = ref _slots[i];
                if (now < slot.ExpiresAtMs)
                {
                    slot.Referenced = true;
                    entry = slot.Entry!;
                    age = TimeSpan.FromMilliseconds(now - slot.StoredAtMs);
                    return true;
                }
                Remove(i);
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
        var now = NowMs();
        var slot = new Slot { KeyText = text, Entry = entry, StoredAtMs = now, ExpiresAtMs = now + (long)entry.Lifetime.TotalMilliseconds };
        lock (_lock)
        {
            if (!_map.TryGetValue(text, out var i))
            {
                i = Allocate();
                _map[text] = i;
            }
            _slots[i] = slot;
        }
    }

    private long NowMs()
    {
        if (_systemClock)
        {
            return Environment.TickCount64;
        }
        var ts = _time.GetTimestamp();
        return (long)(ts * (1000.0 / _time.TimestampFrequency));
    }

    // Under the lock: a free slot, a new one while below capacity, else the CLOCK victim's.
    private int Allocate()
    {
        if (_free.TryPop(out var i))
        {
            return i;
        }
        if (_used < _capacity)
        {
            if (_used == _slots.Length)
            {
                Array.Resize(ref _slots, Math.Min(_capacity, Math.Max(16, _slots.Length * 2)));
            }
            return _used++;
        }
        while (true)
        {
            ref var candidate = ref _slots[_hand];
            var index = _hand;
            _hand = (_hand + 1) % _used;
            if (candidate.Referenced)
            {
                candidate.Referenced = false;
                continue;
            }
            _map.Remove(candidate.KeyText!);
            candidate = default;
            return index;
        }
    }

    private void Remove(int i)
    {
        _map.Remove(_slots[i].KeyText!);
        _slots[i] = default;
        _free.Push(i);
    }

    private struct Slot
    {
        public string? KeyText;
        public DnsCacheEntry? Entry;
        public long StoredAtMs;
        public long ExpiresAtMs;
        public bool Referenced;
    }
}
