using Appliance.Broker.Interop;

namespace Appliance.Broker;

/// <summary>
/// The CPU time the calling OS thread has used (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), in nanoseconds: what a stage
/// cost in CPU, whatever else the machine runs, where a stopwatch would count the time the thread waited for a core.
/// </summary>
public static class ThreadCpuClock
{
    private static volatile bool _unavailable;

    /// <summary>The calling thread's CPU time in nanoseconds, or -1 where the clock is not available.</summary>
    public static long NowNanoseconds()
    {
        if (_unavailable)
        {
            return -1;
        }
        try
        {
            return LibC.clock_gettime(LibC.CLOCK_THREAD_CPUTIME_ID, out var ts) == 0 ? (ts.tv_sec * 1_000_000_000L) + ts.tv_nsec : -1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return -1;
        }
    }
}
