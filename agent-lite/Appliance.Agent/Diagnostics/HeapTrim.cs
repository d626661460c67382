namespace Appliance.Agent.Diagnostics;

/// <summary>
/// Collects the whole managed heap, compacting it and handing emptied regions back to the OS, once per interval.
/// The agent's short-lived objects are promoted out of gen0 when a collection falls inside a status read, then pile
/// up dead in gen1 for minutes, and the full collection that finally frees them leaves ~8 MB committed for a ~1 MB
/// live heap (docs/BENCHMARKS.md "Agent memory", issue #15). A collection of ~1 MB costs about a millisecond.
/// </summary>
public static class HeapTrim
{
    /// <summary>How often the heap is trimmed.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(60);

    /// <summary>The collection itself: blocking, compacting, and decommitting free regions.</summary>
    public static void Collect() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

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
