using System.Diagnostics;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Image.Tests;

/// <summary>
/// The real appliance-server on a <see cref="VirtualLan"/> (plain http on the bridge address, embedded MQTT broker),
/// with a throwaway data dir that outlives a stop, so the same server can be stopped and started again.
/// </summary>
public sealed class LanServer : IAsyncDisposable
{
    private const int ApiPort = 8080;
    private const int MqttPort = 1883;
    private readonly VirtualLan _lan;
    private readonly string _dataDir;
    private Process? _process;

    public LanServer(VirtualLan lan, string dataDir)
    {
        _lan = lan;
        _dataDir = dataDir;
    }

    public static string Url => $"http://{VirtualLan.HostAddress}:{ApiPort}";

    public bool Running => _process is { HasExited: false };

    public async Task StartAsync()
    {
        _process = _lan.Start("dotnet", Binaries.Server, "serve", "--data-dir", _dataDir, "--urls", Url,
            "--mqtt-url", $"mqtt://{VirtualLan.HostAddress}:{MqttPort}");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"appliance-server exited {_process.ExitCode} at start");
            }
            var r = await _lan.RunAsync(TimeSpan.FromSeconds(10), "curl", "-fsS", "-o", "/dev/null", Url + "/healthz");
            if (r.ExitCode == 0)
            {
                return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("appliance-server did not answer /healthz within 90 s");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process = null;
    }

    /// <summary>Runs the admin CLI of the same binary against this server (inside the LAN's namespace).</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var r = await _lan.RunAsync(TimeSpan.FromSeconds(120), "dotnet", [Binaries.Server, .. args, "--server", Url, "--data-dir", _dataDir]);
        return r.EnsureSuccess("appliance-server " + string.Join(' ', args)).StdOut;
    }

    /// <summary>Makes a network and an enrollment key for it; returns the join token.</summary>
    public async Task<string> CreateNetworkAndTokenAsync(string network, int uses)
    {
        await CliAsync("network", "create", network, "--ipv4", "10.66.0.0/24");
        var created = await CliAsync("key", "create", "--network", network, "--uses", uses.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--expires", "1d", "--json");
        using var doc = JsonDocument.Parse(created);
        return doc.RootElement.GetProperty("token").GetString() ?? throw new InvalidOperationException("no token in " + created);
    }

    public async Task<List<NodeDto>> NodesAsync() =>
        JsonSerializer.Deserialize(await CliAsync("node", "list", "--json"), ApplianceJsonContext.Default.ListNodeDto) ?? [];

    public async ValueTask DisposeAsync() => await StopAsync();
}
