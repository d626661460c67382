namespace Appliance.Hardware.Watchdog;

/// <summary>
/// Feeds the watchdogs at a third of the shortest timeout, and only while <see cref="WatchdogHealth"/> says every
/// loop is alive. When a loop is late it stops feeding and says why once; the watchdog does the rest.
/// </summary>
public sealed class WatchdogFeeder(WatchdogHealth health, IReadOnlyList<IWatchdog> watchdogs, TextWriter log, TimeProvider clock)
{
    /// <summary>How often the decision is taken: a third of the shortest watchdog timeout (at least 100 ms).</summary>
    public TimeSpan Interval { get; } = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks,
        (watchdogs.Where(w => w.Timeout > TimeSpan.Zero).Select(w => w.Timeout).DefaultIfEmpty(TimeSpan.FromSeconds(30)).Min() / 3).Ticks));

    /// <summary>Fed this many times (for tests and logs).</summary>
    public long Feeds { get; private set; }

    /// <summary>One round: feeds every watchdog when healthy; returns whether it fed.</summary>
    public bool FeedOnce()
    {
        if (!health.IsHealthy(out var reason))
        {
            if (_starving != reason)
            {
                _starving = reason;
                log.WriteLine($"watchdog: not feeding: {reason}");
            }
            return false;
        }
        if (_starving is not null)
        {
            log.WriteLine("watchdog: all loops healthy again; feeding");
            _starving = null;
        }
        foreach (var w in watchdogs)
        {
            try
            {
                w.Feed();
            }
            catch (IOException e)
            {
                log.WriteLine($"watchdog: {e.Message}");
            }
        }
        Feeds++;
        return true;
    }

    private string? _starving;

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var w in watchdogs)
        {
            log.WriteLine($"watchdog: {w.Description}, timeout {w.Timeout.TotalSeconds:0.#} s, fed every {Interval.TotalSeconds:0.#} s while healthy");
        }
        while (!ct.IsCancellationRequested)
        {
            FeedOnce();
            try
            {
                await Task.Delay(Interval, clock, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
