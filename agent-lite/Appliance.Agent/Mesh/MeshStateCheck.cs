using Appliance.Contracts.Api;

namespace Appliance.Agent.Mesh;

/// <summary>
/// When to check the node's state over pinned HTTPS besides following the broker: after <see cref="After"/> of
/// connected time in which nothing newer arrived (a lost update would otherwise go unnoticed until the next change),
/// and soon after an update failed its signature check (the server may have rotated its key while this node was
/// away), at most once per <see cref="MinGap"/>. Time while disconnected does not count: a reconnect asks for a
/// snapshot anyway. The check itself is the daemon's (<see cref="RunAsync"/> calls it).
/// </summary>
public sealed class MeshStateCheck(TimeProvider clock, TimeSpan after)
{
    /// <summary>The default quiet time before a check: 10 minutes.</summary>
    public static readonly TimeSpan DefaultAfter = TimeSpan.FromMinutes(10);

    private readonly object _lock = new();
    private DateTimeOffset _lastNews = clock.GetUtcNow();
    private DateTimeOffset _lastCheck = DateTimeOffset.MinValue;
    private bool _soon;

    public TimeSpan After { get; } = after > TimeSpan.Zero ? after : throw new ArgumentOutOfRangeException(nameof(after), "the quiet time before a check must be positive");

    /// <summary>The least time between two checks asked for by <see cref="CheckSoon"/>.</summary>
    public TimeSpan MinGap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the loop looks at the time.</summary>
    public TimeSpan Tick => After < TimeSpan.FromSeconds(5) ? After : TimeSpan.FromSeconds(5);

    /// <summary>Something newer arrived (an update was applied, or the signing key changed).</summary>
    public void HeardNews()
    {
        lock (_lock)
        {
            _lastNews = clock.GetUtcNow();
        }
    }

    /// <summary>Check at the next tick (unless a check ran less than <see cref="MinGap"/> ago).</summary>
    public void CheckSoon()
    {
        lock (_lock)
        {
            _soon = true;
        }
    }

    /// <summary>True when the pulled state should replace the current one: newer, or of another lineage (epoch, server).</summary>
    public static bool ShouldTake(NodeConfigDto? current, NodeConfigDto pulled) =>
        current is null || !current.SameLineage(pulled) || pulled.Version > current.Version;

    /// <summary>True when a check is due at <paramref name="now"/>; a due check counts as done (and as news).</summary>
    public bool TakeDue(DateTimeOffset now, bool connected)
    {
        lock (_lock)
        {
            if (!connected)
            {
                _lastNews = now;
                return false;
            }
            var due = now - _lastNews >= After || (_soon && now - _lastCheck >= MinGap);
            if (due)
            {
                _soon = false;
                _lastCheck = now;
                _lastNews = now;
            }
            return due;
        }
    }

    /// <summary>Calls <paramref name="check"/> whenever one is due, until cancelled; a failed check is logged and retried after the next quiet time.</summary>
    public async Task RunAsync(Func<bool> connected, Func<CancellationToken, Task> check, TextWriter log, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Tick, clock, ct);
                if (TakeDue(clock.GetUtcNow(), connected()))
                {
                    await check(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is AgentException or IOException or FormatException or System.Text.Json.JsonException)
            {
                log.WriteLine($"checking the state over HTTPS failed: {e.Message}");
            }
        }
    }
}
