namespace Appliance.Broker;

/// <summary>
/// Gives memory back after a burst. A broker that just streamed snapshots to thousands of members is left with
/// tens to hundreds of MB of committed but free GC memory, which the GC only decommits a little at each later
/// collection, and a quiet broker hardly collects (measured with 2000 TLS clients after 1.2 MB each: 149 MB committed
/// for a 22 MB heap). Once the process has been quiet for a housekeeping tick, one aggressive collection returns it.
/// </summary>
internal sealed class MqttMemoryTrim
{
    /// <summary>Committed but unused GC memory worth a collection.</summary>
    internal const long MinFreeCommittedBytes = 32L * 1024 * 1024;

    /// <summary>Allocation per tick below which the process counts as quiet.</summary>
    internal const long MaxQuietAllocatedBytes = 2L * 1024 * 1024;

    /// <summary>At most one trim per this many milliseconds.</summary>
    internal const long MinIntervalMs = 30_000;

    private long _lastAllocated = GC.GetTotalAllocatedBytes();
    private long _lastTrimMs = long.MinValue / 2;

    /// <summary>Number of trims done, for metrics and tests.</summary>
    public int Trims { get; private set; }

    /// <summary>The decision, without reading any clock or GC state.</summary>
    public static bool ShouldTrim(long committedBytes, long heapBytes, long allocatedSinceLastTick, long msSinceLastTrim) =>
        committedBytes - heapBytes >= MinFreeCommittedBytes
        && allocatedSinceLastTick < MaxQuietAllocatedBytes
        && msSinceLastTrim >= MinIntervalMs;

    /// <summary>Called from the housekeeping loop; returns true when it collected.</summary>
    public bool Tick(long nowMs)
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var since = allocated - _lastAllocated;
        _lastAllocated = allocated;
        var info = GC.GetGCMemoryInfo();
        if (!ShouldTrim(info.TotalCommittedBytes, info.HeapSizeBytes, since, nowMs - _lastTrimMs))
        {
            return false;
        }
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _lastTrimMs = nowMs;
        _lastAllocated = GC.GetTotalAllocatedBytes();
        Trims++;
        return true;
    }
}
