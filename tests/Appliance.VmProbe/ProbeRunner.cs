using System.Diagnostics;
using System.Globalization;

namespace Appliance.VmProbe;

/// <summary>Runs the named scenarios (or all) and prints <c>@@RESULT name PASS|FAIL detail</c> lines; exit code = number of failures.</summary>
public static class ProbeRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scenarios = new (string Name, Func<ProbeLog, Task> Run)[]
        {
            ("genl-family", KernelScenarios.GenlFamilyAsync),
            ("errors", KernelScenarios.ErrorsAsync),
            ("handshake-ping", KernelScenarios.HandshakePingAsync),
            ("peers-1000", KernelScenarios.Peers1000Async),
            ("peers-10000", KernelScenarios.Peers10000Async),
            ("bench-netlink", KernelScenarios.BenchAsync),
        };
        // "all" is every functional scenario; the benchmark (minutes under TCG) only runs when named.
        var selected = args.Length == 0 || args.Contains("all")
            ? scenarios.Where(s => !s.Name.StartsWith("bench", StringComparison.Ordinal) || args.Contains(s.Name)).ToArray()
            : scenarios.Where(s => args.Contains(s.Name)).ToArray();
        var log = new ProbeLog();
        log.Info($"probe start, uptime {File.ReadAllText("/proc/uptime").Split(' ')[0]}s, kernel {Environment.OSVersion.Version}");
        foreach (var (name, run) in selected)
        {
            var sw = Stopwatch.StartNew();
            try
            {
                await run(log);
                log.Result(name, true, $"{sw.ElapsedMilliseconds} ms");
            }
            catch (Exception e)
            {
                log.Result(name, false, e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" | "));
            }
        }
        log.Info("probe done, failures=" + log.Failures.ToString(CultureInfo.InvariantCulture));
        return log.Failures;
    }
}
