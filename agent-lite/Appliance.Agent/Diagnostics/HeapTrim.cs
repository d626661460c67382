using System.Runtime.InteropServices;

namespace Appliance.Agent.Diagnostics;

/// <summary>
/// Collects the whole managed heap, compacting it and handing emptied regions back to the OS, once per interval.
/// The agent's short-lived objects are promoted out of gen0 when a collection falls inside a status read, then pile
/// up dead in gen1 for minutes, and the full collection that finally frees them leaves ~8 MB committed for a ~1 MB
/// live heap (docs/BENCHMARKS.md "Agent memory", issue #15). A collection of ~1 MB costs about a millisecond.
/// Then glibc's malloc gives its free pages back too: the TLS connections of the 10-minute state check left ~1 MB
/// free but kept in a malloc arena each time (malloc_stats of a running agent: 3.17 MB system, 2.13 MB in use;
/// docs/BENCHMARKS.md "#15: session 11").
/// </summary>
public static class HeapTrim
{
    /// <summary>How often the heap is trimmed.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(60);

    /// <summary>The collection itself: blocking, compacting, and decommitting free regions.</summary>
    public static void Collect()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
    }

    /// <summary>
    /// <c>malloc_trim(0)</c>: returns the whole free pages of every malloc arena to the system. True when some were
    /// released; false when none were, or the C library has no such call (musl).
    /// </summary>
    public static bool TrimNativeHeap()
    {
        try
        {
            return malloc_trim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);

    /// <summary>Calls <paramref name="collect"/> every <paramref name="interval"/> until cancelled.</summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, Action collect, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, clock, ct);
                collect();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
