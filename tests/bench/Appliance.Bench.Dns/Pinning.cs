namespace Appliance.Bench.Dns;

/// <summary>
/// BENCH_PIN=1 runs the server under test on CPU 0 and dnsperf on CPU 1 (through taskset), so the load generator
/// never takes the server's core: on a 2-core machine the unpinned runs swing ±30% from one run to the next.
/// </summary>
internal static class Pinning
{
    public const int ServerCpu = 0;
    public const int LoadCpu = 1;

    public static bool Enabled => Environment.GetEnvironmentVariable("BENCH_PIN") == "1";

    public static int? ServerCpuOrNull => Enabled ? ServerCpu : null;

    public static string Program(string exe, int cpu) => Enabled ? "taskset" : exe;

    public static IEnumerable<string> Arguments(string exe, IEnumerable<string> args, int cpu) =>
        Enabled ? ["-c", cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), exe, .. args] : args;
}
