using System.Security.Cryptography;

namespace Appliance.Server.Security;

/// <summary>
/// The web console's sign-in sessions, kept in the server's memory (a restart signs everyone out): a random id (the
/// cookie) and a random CSRF token per session, an idle timeout and an absolute lifetime. Sign-out removes the
/// session here, so a copied cookie stops working at once. Bounded: <see cref="MaxPerAccount"/> per account and
/// <see cref="MaxTotal"/> in all, the oldest dropped first.
/// </summary>
public sealed class ConsoleSessions(TimeProvider clock)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(1);
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    public const int MaxPerAccount = 16;
    public const int MaxTotal = 1024;

    private readonly Dictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ConsoleSession Create(string account)
    {
        var now = clock.GetUtcNow();
        var session = new ConsoleSession(NewSecret(), NewSecret(), account, now) { LastUsed = now };
        lock (_lock)
        {
            Prune(now);
            var mine = _sessions.Values.Where(s => s.Account == account).OrderBy(s => s.CreatedAt).ToList();
            foreach (var old in mine.Take(Math.Max(0, mine.Count - MaxPerAccount + 1)))
            {
                _sessions.Remove(old.Id);
            }
            if (_sessions.Count >= MaxTotal)
            {
                _sessions.Remove(_sessions.Values.MinBy(s => s.LastUsed)!.Id);
            }
            _sessions.Add(session.Id, session);
        }
        return session;
    }

    /// <summary>The live session with this id (its idle clock restarted), or null when unknown, idle too long or too old.</summary>
    public ConsoleSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var s))
            {
                return null;
            }
            if (now - s.LastUsed > IdleTimeout || now - s.CreatedAt > Lifetime)
            {
                _sessions.Remove(id);
                return null;
            }
            s.LastUsed = now;
            return s;
        }
    }

    public void Revoke(string id)
    {
        lock (_lock)
        {
            _sessions.Remove(id);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var s in _sessions.Values.Where(s => now - s.LastUsed > IdleTimeout || now - s.CreatedAt > Lifetime).ToList())
        {
            _sessions.Remove(s.Id);
        }
    }

    // 32 random bytes, base64url: unguessable, cookie- and header-safe.
    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
