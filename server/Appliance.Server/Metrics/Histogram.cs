namespace Appliance.Server.Metrics;

/// <summary>
/// A Prometheus histogram of durations in seconds with fixed upper bounds: thread-safe counts per bucket, their sum
/// and total. Each observation is kept only as counts: memory stays constant however many arrive.
/// </summary>
public sealed class Histogram
{
    /// <summary>Upper bounds in seconds, from a millisecond to half a minute (a mesh change reaches the broker in milliseconds; seconds mean trouble).</summary>
    public static readonly double[] DefaultBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly double[] _bounds;
    private readonly long[] _counts; // per bucket, not cumulative; the last is +Inf
    private long _sumTicks; // in 100 ns, so the sum can be added without a lock
    private long _count;

    public Histogram(double[]? bounds = null)
    {
        _bounds = bounds ?? DefaultBounds;
        _counts = new long[_bounds.Length + 1];
    }

    public void Observe(TimeSpan duration)
    {
        var seconds = Math.Max(0, duration.TotalSeconds);
        var i = 0;
        while (i < _bounds.Length && seconds > _bounds[i])
        {
            i++;
        }
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, Math.Max(0, duration.Ticks));
        Interlocked.Increment(ref _count);
    }

    /// <summary>The cumulative count per upper bound (the last is +Inf), the sum in seconds and the count, as of now.</summary>
    public HistogramSnapshot Snapshot()
    {
        var cumulative = new List<(double, long)>(_bounds.Length + 1);
        long running = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            cumulative.Add((i < _bounds.Length ? _bounds[i] : double.PositiveInfinity, running));
        }
        return new HistogramSnapshot(cumulative, TimeSpan.FromTicks(Interlocked.Read(ref _sumTicks)).TotalSeconds, running);
    }
}
