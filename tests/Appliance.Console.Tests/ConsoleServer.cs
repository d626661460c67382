using System.Diagnostics;
using Appliance.TestSupport;

namespace Appliance.Console.Tests;

/// <summary>
/// The real appliance-server process (the built binary) on loopback HTTPS with a throwaway data dir and one console
/// account; killed (by its pid) on dispose.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    public const string Admin = "alice";
    public const string Password = "correct-horse-battery";

    private readonly ProcessOutput _output = new();
    private readonly TempDirectory _dir = new("appliance-console");
    private Process? _process;

    private ConsoleServer()
    {
        Port = Binaries.FreeTcpPort();
        Url = $"https://127.0.0.1:{Port}";
        MqttPort = Binaries.FreeTcpPort();
    }

    public string DataDir => _dir.Combine("data");
    public string Url { get; }
    public int Port { get; }
    public int MqttPort { get; }
    public string Log => _output.Text;
    public TempDirectory Dir => _dir;

    /// <summary>Starts the server; nodes count as offline after <paramref name="offlineAfterSeconds"/> without a call home.</summary>
    public static async Task<ConsoleServer> StartAsync(int offlineAfterSeconds = 120)
    {
        var server = new ConsoleServer();
        try
        {
            await server.StartProcessAsync(offlineAfterSeconds);
            (await server.CliAsync(Password + "\n", "admin", "add", Admin)).EnsureSuccess("admin add");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task StartProcessAsync(int offlineAfterSeconds)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Binaries.Server, "serve", "--data-dir", DataDir, "--urls", Url, "--mqtt-url", $"mqtts://127.0.0.1:{MqttPort}" })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["APPLIANCE_OfflineAfterSeconds"] = offlineAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The page-weight test joins a thousand nodes from one address.
        psi.Environment["APPLIANCE_RateLimits__JoinsPerMinute"] = "0";
        _process = Process.Start(psi)!;
        _output.Attach(_process);
        using var http = Http();
        await Wait.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"appliance-server exited {_process.ExitCode} at start:\n{Log}");
            }
            try
            {
                return (await http.GetAsync(Url + "/healthz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "appliance-server answers /healthz", TimeSpan.FromSeconds(60), () => Log, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>An HTTP client that trusts the test server's own CA (loopback only), without cookies.</summary>
    public static HttpClient Http(bool cookies = false) =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true, UseCookies = cookies, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>The admin API token the server wrote on first start.</summary>
    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    /// <summary>Runs the same binary's CLI (admin accounts, or the API client) against this server.</summary>
    public Task<ProcessResult> CliAsync(string? stdin, params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Binaries.Server, .. args, "--data-dir", DataDir], stdin: stdin, timeout: TimeSpan.FromSeconds(60));

    /// <summary>Runs the real appliance-agent (the repo's build) with a state dir under this test's directory.</summary>
    public Task<ProcessResult> AgentAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Binaries.Agent, .. args], timeout: TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _dir.Dispose();
    }
}
