using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>The real appliance-server process on loopback with a throwaway data dir; killed on dispose.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ProcessOutput _output = new();
    private Process? _process;

    private readonly IReadOnlyList<string> _extraArgs;
    private readonly IDictionary<string, string> _env;

    private ServerProcess(string dataDir, string scheme, IReadOnlyList<string>? extraArgs, IDictionary<string, string>? env)
    {
        DataDir = dataDir;
        _extraArgs = extraArgs ?? [];
        _env = env ?? new Dictionary<string, string>();
        Port = Binaries.FreeTcpPort();
        Url = $"{scheme}://127.0.0.1:{Port}";
        MqttPort = Binaries.FreeTcpPort();
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url { get; }
    public int MqttPort { get; }
    public string Log => _output.Text;

    /// <summary>The server's process id (for reading its /proc entries).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("the server is not running");

    public static async Task<ServerProcess> StartAsync(string dataDir, string scheme = "https", IReadOnlyList<string>? extraArgs = null, IDictionary<string, string>? env = null)
    {
        var server = new ServerProcess(dataDir, scheme, extraArgs, env);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.StopAsync(); // the caller never gets it, so it would never be killed
            throw;
        }
        return server;
    }

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var mqtt = $"{(Url.StartsWith("https", StringComparison.Ordinal) ? "mqtts" : "mqtt")}://127.0.0.1:{MqttPort}";
        foreach (var a in new[] { Binaries.Server, "serve", "--data-dir", DataDir, "--urls", Url, "--mqtt-url", mqtt }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in _env)
        {
            psi.Environment[k] = v;
        }
        _process = Process.Start(psi)!;
        _output.Attach(_process);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"appliance-server exited {_process.ExitCode} at start:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync(Url + "/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"appliance-server did not answer /healthz within 60 s:\n{Log}");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Runs the admin CLI of the same binary against this server.</summary>
    public Task<ProcessResult> CliAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Binaries.Server, .. args, "--server", Url, "--data-dir", DataDir], timeout: TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync() => await StopAsync();
}
