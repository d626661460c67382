using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// The real appliance-server for agents in a VM: in a network namespace of its own, on <see cref="Address"/> (on its
/// loopback; plain http and MQTT), which the guest reaches through qemu's user-mode forwards
/// (<see cref="QemuNetwork"/>) and nothing else. It makes a network and an enrollment key; <see cref="DisposeAsync"/>
/// stops the server by its pid and deletes the namespace, even after a failure.
/// </summary>
public sealed class NamespacedServer : IAsyncDisposable
{
    public const string Address = "10.0.2.100";
    public const int ApiPort = 8080;
    public const int MqttPort = 1883;

    private readonly string _namespace = $"apvm{Environment.ProcessId % 100000}x{Random.Shared.Next(100, 999)}";
    private readonly string _dataDir;
    private Process? _server;
    private bool _namespaceMade;

    private NamespacedServer(string dataDir) => _dataDir = dataDir;

    public static string Url => $"http://{Address}:{ApiPort}";

    /// <summary>qemu's network: the API and MQTT ports of <see cref="Address"/>, qemu running in the namespace.</summary>
    public QemuNetwork Network => new(_namespace, [new IPEndPoint(IPAddress.Parse(Address), ApiPort), new IPEndPoint(IPAddress.Parse(Address), MqttPort)]);

    /// <summary>A join token for the network, good for <paramref name="uses"/> joins.</summary>
    public string Token { get; private set; } = "";

    public static async Task<NamespacedServer> StartAsync(string dataDir, int uses)
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireProgram("ip");
        Prerequisites.RequireProgram("curl");
        Prerequisites.RequireProgram("socat");
        var s = new NamespacedServer(dataDir);
        try
        {
            await s.StartAsync(uses);
        }
        catch
        {
            await s.DisposeAsync();
            throw;
        }
        return s;
    }

    private async Task StartAsync(int uses)
    {
        await IpAsync("netns", "add", _namespace);
        _namespaceMade = true;
        await IpAsync("-n", _namespace, "link", "set", "lo", "up");
        // On the namespace's loopback (a host kernel may have no dummy driver): only qemu's forwards connect to it.
        await IpAsync("-n", _namespace, "addr", "add", Address + "/32", "dev", "lo");
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", _namespace, "dotnet", Binaries.Server, "serve", "--data-dir", _dataDir, "--urls", Url, "--mqtt-url", $"mqtt://{Address}:{MqttPort}" })
        {
            psi.ArgumentList.Add(a);
        }
        // Registrations of test peers all come from one address.
        psi.Environment["RateLimits__JoinsPerMinute"] = "0";
        // `ip netns exec` execs dotnet: this pid is the server's own.
        _server = Process.Start(psi) ?? throw new InvalidOperationException("could not start appliance-server");
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        var up = Stopwatch.StartNew();
        while ((await InNamespaceAsync("curl", "-fsS", "-o", "/dev/null", Url + "/healthz")).ExitCode != 0)
        {
            if (_server.HasExited || up.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"appliance-server did not answer {Url}/healthz (exited: {_server.HasExited})");
            }
            await Task.Delay(250);
        }
        await CliAsync("network", "create", "vm", "--ipv4", "10.66.0.0/24");
        using var key = JsonDocument.Parse(await CliAsync("key", "create", "--network", "vm", "--uses", uses.ToString(CultureInfo.InvariantCulture), "--expires", "1d", "--json"));
        Token = key.RootElement.GetProperty("token").GetString() ?? throw new InvalidOperationException("no token in the key");
    }

    /// <summary>Registers <paramref name="count"/> peers (fresh keys, documentation endpoints) through the real join API.</summary>
    public async Task RegisterPeersAsync(int count)
    {
        var secret = JoinToken.Decode(Token).Key;
        for (var i = 1; i <= count; i++)
        {
            var pub = Appliance.Crypto.X25519.GenerateKeyPair().PublicKey;
            var body = $$"""{"key":"{{secret}}","publicKey":"{{pub}}","hostname":"peer{{i}}","endpoints":["192.0.2.{{i}}:51820"]}""";
            (await InNamespaceAsync("curl", "-fsS", "-o", "/dev/null", "-H", "Content-Type: application/json", "-d", body, Url + "/api/v1/join")).EnsureSuccess("join of peer" + i);
        }
    }

    private Task<ProcessResult> InNamespaceAsync(params string[] command) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", _namespace, .. command], timeout: TimeSpan.FromSeconds(60));

    private async Task<string> CliAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", _namespace, "dotnet", Binaries.Server, .. args, "--server", Url, "--data-dir", _dataDir],
            timeout: TimeSpan.FromMinutes(2))).EnsureSuccess("appliance-server " + string.Join(' ', args)).StdOut;

    private static async Task IpAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(30))).EnsureSuccess("ip " + string.Join(' ', args));

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        _server = null;
        if (_namespaceMade)
        {
            await ProcessRunner.RunAsync("ip", ["netns", "delete", _namespace], timeout: TimeSpan.FromSeconds(30));
            _namespaceMade = false;
        }
    }
}
