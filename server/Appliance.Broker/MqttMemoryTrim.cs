namespace Appliance.Broker;

/// <summary>
/// Gives memory back after a burst. A broker that just streamed snapshots to thousands of members is left with
/// tens to hundreds of MB of committed but free GC memory, which the GC only decommits a little at each later
/// collection, and a quiet broker hardly collects (measured with 2000 TLS clients after 1.2 MB each: 149 MB committed
/// for a 22 MB heap). Once the process has been quiet for a housekeeping tick, one aggressive collection returns it;
/// quiet ticks also run malloc_trim for the C heap (at most every 30 s).
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

    /// <summary>
    /// The decision, without reading any clock or GC state: quiet, not trimmed lately, and either much committed
    /// memory is free or the heap has grown by as much since the last full collection (objects that died in gen2,
    /// such as replaced network views, stay counted in the heap until a full collection, which a quiet process
    /// never triggers).
    /// </summary>
    public static bool ShouldTrim(long committedBytes, long heapBytes, long heapAfterLastFullGc, long allocatedSinceLastTick, long msSinceLastTrim) =>
        (committedBytes - heapBytes >= MinFreeCommittedBytes || heapBytes - heapAfterLastFullGc >= MinFreeCommittedBytes)
        && allocatedSinceLastTick < MaxQuietAllocatedBytes
        && msSinceLastTrim >= MinIntervalMs;

    /// <summary>Native trims done (C heap), for metrics and tests.</summary>
    public int NativeTrims { get; private set; }

    private long _lastNativeTrimMs = long.MinValue / 2;

    /// <summary>
    /// Called from the housekeeping loop; returns true when it collected. Quiet ticks also give the C heap's free
    /// memory back (malloc_trim, at most every <see cref="MinIntervalMs"/>): OpenSSL's released record buffers end
    /// up there whatever the GC holds.
    /// </summary>
    public bool Tick(long nowMs)
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var since = allocated - _lastAllocated;
        _lastAllocated = allocated;
        var info = GC.GetGCMemoryInfo();
        var lastFull = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var collect = ShouldTrim(info.TotalCommittedBytes, info.HeapSizeBytes, lastFull.Index == 0 ? 0 : lastFull.HeapSizeBytes, since, nowMs - _lastTrimMs);
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _lastTrimMs = nowMs;
            _lastAllocated = GC.GetTotalAllocatedBytes();
            Trims++;
        }
        if (since < MaxQuietAllocatedBytes && nowMs - _lastNativeTrimMs >= MinIntervalMs)
        {
            NativeHeap.Trim();
            _lastNativeTrimMs = nowMs;
            NativeTrims++;
        }
        return collect;
    }
}
