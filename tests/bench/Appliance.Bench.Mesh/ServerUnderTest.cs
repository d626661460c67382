using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Bench.Mesh;

/// <summary>The real appliance-server as a child process on loopback; CPU and RSS read from /proc.</summary>
public sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly Process _process;

    /// <param name="environment">Extra environment for the server (e.g. APPLIANCE_Mesh__PerNodeUpdates=true).</param>
    public ServerUnderTest(string dataDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        DataDir = dataDir;
        ApiPort = Binaries.FreeTcpPort();
        MqttPort = Binaries.FreeTcpPort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Binaries.Server, "serve", "--data-dir", dataDir, "--urls", Url, "--mqtt-url", $"mqtts://127.0.0.1:{MqttPort}" })
        {
            psi.ArgumentList.Add(a);
        }
        // Thousands of simulated nodes join and connect from loopback, one source address: no per-address limits.
        psi.Environment["APPLIANCE_RateLimits__JoinsPerMinute"] = "0";
        psi.Environment["APPLIANCE_Mqtt__ConnectionsPerSecondPerAddress"] = "0";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        // BENCH_SERVER_ENV="KEY=VALUE ...": extra environment for the server only (runtime knobs to compare).
        foreach (var kv in (Environment.GetEnvironmentVariable("BENCH_SERVER_ENV") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            psi.Environment[kv[..eq]] = kv[(eq + 1)..];
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string DataDir { get; }
    public int ApiPort { get; }
    public int MqttPort { get; }
    public string Url => $"https://127.0.0.1:{ApiPort}";
    public int Pid => _process.Id;

    /// <summary>utime + stime of the server process, in seconds.</summary>
    public double CpuSeconds() => ProcFigures.CpuSeconds(Pid);

    /// <summary>Current and peak resident set, in MB.</summary>
    public (double Rss, double Peak) MemoryMb() => ProcFigures.MemoryMb(Pid);

    /// <summary>The resident set split as /proc/&lt;pid&gt;/status does: anonymous (heaps, OpenSSL) and file-backed + shared (runtime images, JIT code), in MB.</summary>
    public (double Anon, double FileAndShared) MemorySplitMb() => ProcFigures.MemorySplitMb(Pid);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
