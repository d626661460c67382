using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Bench.Dns;

/// <summary>One dnsperf run: queries per second from its summary, latency percentiles from its per-query (-v) lines.</summary>
internal sealed partial record DnsPerfResult(double Qps, double P50Us, double P99Us, long Completed, long Lost)
{
    public static async Task<DnsPerfResult> RunAsync(int port, string queryFile, double seconds, int? maxQps = null)
    {
        var psi = new ProcessStartInfo(Pinning.Program("dnsperf", Pinning.LoadCpu)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = ["-s", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-d", queryFile, "-l", seconds.ToString(CultureInfo.InvariantCulture),
            "-c", "4", "-T", "1", "-q", "200", "-t", "2", "-v"];
        foreach (var a in Pinning.Arguments("dnsperf", args, Pinning.LoadCpu))
        {
            psi.ArgumentList.Add(a);
        }
        if (maxQps is { } q)
        {
            psi.ArgumentList.Add("-Q");
            psi.ArgumentList.Add(q.ToString(CultureInfo.InvariantCulture));
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dnsperf");
        var latencies = new List<double>(1 << 20);
        double qps = 0;
        long completed = 0, lost = 0;
        var stderr = p.StandardError.ReadToEndAsync();
        while (await p.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("> ", StringComparison.Ordinal))
            {
                var last = line.LastIndexOf(' ');
                if (double.TryParse(line.AsSpan(last + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
                {
                    latencies.Add(s * 1e6);
                }
            }
            else if (QpsLine().Match(line) is { Success: true } m)
            {
                qps = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (CompletedLine().Match(line) is { Success: true } c)
            {
                completed = long.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (LostLine().Match(line) is { Success: true } l)
            {
                lost = long.Parse(l.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
        await p.WaitForExitAsync();
        if (p.ExitCode != 0 || latencies.Count == 0)
        {
            throw new InvalidOperationException($"dnsperf failed ({p.ExitCode}): {await stderr}");
        }
        latencies.Sort();
        return new DnsPerfResult(qps, Percentile(latencies, 0.50), Percentile(latencies, 0.99), completed, lost);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    [GeneratedRegex(@"Queries per second:\s+([0-9.]+)")]
    private static partial Regex QpsLine();

    [GeneratedRegex(@"Queries completed:\s+([0-9]+)")]
    private static partial Regex CompletedLine();

    [GeneratedRegex(@"Queries lost:\s+([0-9]+)")]
    private static partial Regex LostLine();
}
