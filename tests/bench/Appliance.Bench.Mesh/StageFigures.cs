using System.Globalization;

namespace Appliance.Bench.Mesh;

/// <summary>
/// The server's per-stage counters (issue #14), read from its <c>GET /metrics</c>: per stage label, runs, wall seconds,
/// runs whose CPU was measured and their CPU seconds (<c>appliance_stage_*</c>).
/// </summary>
public sealed record StageFigures(IReadOnlyDictionary<string, StageFigures.Stage> Stages, double GcPauseSeconds, IReadOnlyList<double> GcCollections, double AllocatedBytes)
{
    /// <summary>One stage's counters.</summary>
    public sealed record Stage(double Runs, double WallSeconds, double CpuRuns, double CpuSeconds, double AllocatedBytes);

    /// <summary>Scrapes each server's /metrics (the client carries the admin token) and sums the stages over them.</summary>
    public static async Task<StageFigures> ReadAsync(IEnumerable<HttpClient> servers)
    {
        var sum = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var gcPause = 0.0;
        var allocated = 0.0;
        var collections = new double[3];
        foreach (var http in servers)
        {
            var text = await http.GetStringAsync("metrics");
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("appliance_gc_pause_seconds_total ", StringComparison.Ordinal))
                {
                    gcPause += Value(line);
                }
                else if (line.StartsWith("appliance_gc_allocated_bytes_total ", StringComparison.Ordinal))
                {
                    allocated += Value(line);
                }
                else if (line.StartsWith("appliance_gc_collections_total{generation=\"", StringComparison.Ordinal) &&
                    int.TryParse(line.AsSpan(43, 1), CultureInfo.InvariantCulture, out var generation) && generation < collections.Length)
                {
                    collections[generation] += Value(line);
                }
                var field = line.StartsWith("appliance_stage_runs_total{", StringComparison.Ordinal) ? 0
                    : line.StartsWith("appliance_stage_wall_seconds_total{", StringComparison.Ordinal) ? 1
                    : line.StartsWith("appliance_stage_cpu_runs_total{", StringComparison.Ordinal) ? 2
                    : line.StartsWith("appliance_stage_cpu_seconds_total{", StringComparison.Ordinal) ? 3
                    : line.StartsWith("appliance_stage_allocated_bytes_total{", StringComparison.Ordinal) ? 4 : -1;
                if (field < 0)
                {
                    continue;
                }
                var open = line.IndexOf("stage=\"", StringComparison.Ordinal) + 7;
                var stage = line[open..line.IndexOf('"', open)];
                var value = Value(line);
                if (!sum.TryGetValue(stage, out var figures))
                {
                    sum[stage] = figures = new double[5];
                }
                figures[field] += value;
            }
        }
        return new StageFigures(sum.ToDictionary(s => s.Key, s => new Stage(s.Value[0], s.Value[1], s.Value[2], s.Value[3], s.Value[4]), StringComparer.Ordinal), gcPause, collections, allocated);
    }

    private static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);

    /// <summary>What each stage did between <paramref name="before"/> and this reading.</summary>
    public StageFigures Since(StageFigures before) => new(Stages.ToDictionary(
        s => s.Key,
        s => before.Stages.TryGetValue(s.Key, out var b)
            ? new Stage(s.Value.Runs - b.Runs, s.Value.WallSeconds - b.WallSeconds, s.Value.CpuRuns - b.CpuRuns, s.Value.CpuSeconds - b.CpuSeconds, s.Value.AllocatedBytes - b.AllocatedBytes)
            : s.Value,
        StringComparer.Ordinal), GcPauseSeconds - before.GcPauseSeconds, [.. GcCollections.Select((c, i) => c - before.GcCollections[i])], AllocatedBytes - before.AllocatedBytes);
}
