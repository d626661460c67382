using System.Diagnostics;

namespace Appliance.Broker;

/// <summary>
/// One stage's cost, accumulated: how often it ran, its wall time (stopwatch) and its CPU time (the thread's CPU clock,
/// <see cref="ThreadCpuClock"/>), and the bytes it allocated on the managed heap (what the collector later pays for).
/// CPU and bytes are counted only for runs that ended on the thread they began on (an async stage that moved to
/// another thread is counted in <see cref="Runs"/> and <see cref="Wall"/> only, and not in <see cref="CpuRuns"/>).
/// Cheap enough to stay on (two clock reads per run); increments are atomic.
/// </summary>
public sealed class StageCounter
{
    private long _runs, _cpuRuns, _wallTicks, _cpuNanoseconds, _allocatedBytes;

    /// <summary>Begins a run on the calling thread.</summary>
    public static StageStart Start() =>
        new(Stopwatch.GetTimestamp(), ThreadCpuClock.NowNanoseconds(), Environment.CurrentManagedThreadId, GC.GetAllocatedBytesForCurrentThread());

    /// <summary>Ends a run begun by <see cref="Start"/>.</summary>
    public void Stop(StageStart start)
    {
        var wall = Stopwatch.GetTimestamp() - start.Timestamp;
        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _wallTicks, wall);
        if (start.CpuNanoseconds >= 0 && start.ThreadId == Environment.CurrentManagedThreadId && ThreadCpuClock.NowNanoseconds() is var cpu and >= 0)
        {
            Interlocked.Increment(ref _cpuRuns);
            Interlocked.Add(ref _cpuNanoseconds, Math.Max(0, cpu - start.CpuNanoseconds));
            Interlocked.Add(ref _allocatedBytes, Math.Max(0, GC.GetAllocatedBytesForCurrentThread() - start.AllocatedBytes));
        }
    }

    /// <summary>Runs ended.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Runs whose CPU time was measured (they ended on the thread they began on).</summary>
    public long CpuRuns => Interlocked.Read(ref _cpuRuns);

    /// <summary>Wall time of all runs.</summary>
    public TimeSpan Wall => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _wallTicks));

    /// <summary>Managed heap bytes the runs in <see cref="CpuRuns"/> allocated.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>CPU time of the runs in <see cref="CpuRuns"/>.</summary>
    public TimeSpan Cpu => TimeSpan.FromTicks(Interlocked.Read(ref _cpuNanoseconds) / 100);
}
