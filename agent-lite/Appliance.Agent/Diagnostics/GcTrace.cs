namespace Appliance.Agent.Diagnostics;

/// <summary>
/// A diagnostic for the agent's memory (docs/BENCHMARKS.md "Agent memory"): with APPLIANCE_GC_TRACE set, `run` logs
/// the GC's own figures every 30 s: heap size and fragmentation per generation after the last collection, committed
/// bytes, and the collection counts. APPLIANCE_GC_TRACE=collect additionally induces a full compacting collection
/// after each line (to tell dead-but-uncollected gen1/gen2 objects from live ones).
/// </summary>
public static class GcTrace
{
    /// <summary>The environment variable that turns the trace on.</summary>
    public const string Variable = "APPLIANCE_GC_TRACE";

    /// <summary>One line of the GC's figures, in KB.</summary>
    public static string Line()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var gens = info.GenerationInfo;
        var parts = new string[gens.Length];
        string[] names = ["gen0", "gen1", "gen2", "loh", "poh"];
        for (var i = 0; i < gens.Length; i++)
        {
            parts[i] = $"{(i < names.Length ? names[i] : "g" + i)}={gens[i].SizeAfterBytes / 1024}K/frag{gens[i].FragmentationAfterBytes / 1024}K";
        }
        return $"gc: heap={info.HeapSizeBytes / 1024}K committed={info.TotalCommittedBytes / 1024}K frag={info.FragmentedBytes / 1024}K "
            + $"promoted={info.PromotedBytes / 1024}K last=gen{info.Generation}{(info.Compacted ? "c" : "")} {string.Join(' ', parts)} "
            + $"count={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} live={GC.GetTotalMemory(false) / 1024}K "
            + $"allocated={GC.GetTotalAllocatedBytes() / 1024}K";
    }

    /// <summary>Logs <see cref="Line"/> every <paramref name="interval"/> until cancelled.</summary>
    public static async Task RunAsync(TextWriter log, TimeSpan interval, bool collect, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, ct);
                log.WriteLine(Line());
                if (collect)
                {
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    log.WriteLine("after full collection " + Line());
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
