using System.Net;

namespace Appliance.Server.Security;

/// <summary>
/// Locks out web console sign-ins after repeated failures: <see cref="MaxFailures"/> failed passwords within
/// <see cref="Window"/> lock that account, and separately that source address, for <see cref="LockOut"/>. A locked
/// account refuses even the right password until the lock ends (so a guesser learns nothing from the answer); a
/// success clears the account's and the address's counts. Bounded: at most <see cref="MaxTracked"/> entries, the
/// stalest dropped first.
/// </summary>
public sealed class SignInLimiter(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public const int MaxTracked = 10_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan LockOut = TimeSpan.FromMinutes(15);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Null when a sign-in may be tried; else the message to show and how long until it may.</summary>
    public (string Message, TimeSpan RetryAfter)? Check(string account, IPAddress? source)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (LockedUntil(AccountKey(account), now) is { } a)
            {
                return ($"too many failed sign-ins for this account: it is locked for {Minutes(a - now)}", a - now);
            }
            if (LockedUntil(AddressKey(source), now) is { } s)
            {
                return ($"too many failed sign-ins from this address: try again in {Minutes(s - now)}", s - now);
            }
            return null;
        }
    }

    /// <summary>Counts a failed password for the account and the address.</summary>
    public void Failed(string account, IPAddress? source)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            Count(AccountKey(account), now);
            Count(AddressKey(source), now);
        }
    }

    public void Succeeded(string account, IPAddress? source)
    {
        lock (_lock)
        {
            _entries.Remove(AccountKey(account));
            _entries.Remove(AddressKey(source));
        }
    }

    private DateTimeOffset? LockedUntil(string key, DateTimeOffset now) =>
        _entries.TryGetValue(key, out var e) && e.LockedUntil is { } until && until > now ? until : null;

    private void Count(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var e) || now - e.First > Window || e.LockedUntil is { } u && u <= now)
        {
            if (_entries.Count >= MaxTracked && !_entries.ContainsKey(key))
            {
                _entries.Remove(_entries.MinBy(kv => kv.Value.Last).Key);
            }
            e = new Entry { First = now };
            _entries[key] = e;
        }
        e.Failures++;
        e.Last = now;
        if (e.Failures >= MaxFailures)
        {
            e.LockedUntil = now + LockOut;
        }
    }

    private static string AccountKey(string account) => "a:" + account;

    private static string AddressKey(IPAddress? source) =>
        "s:" + (source is null ? "" : source.IsIPv4MappedToIPv6 ? source.MapToIPv4().ToString() : source.ToString());

    private static string Minutes(TimeSpan t) => t.TotalSeconds < 90 ? $"{Math.Ceiling(t.TotalSeconds)} s" : $"{Math.Ceiling(t.TotalMinutes)} min";

    private sealed class Entry
    {
        public DateTimeOffset First { get; init; }
        public DateTimeOffset Last { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
    }
}
