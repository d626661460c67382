using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// The living mesh on real WireGuard: the server process in one network namespace, agents (`appliance-agent run`,
/// each driving its own wireguard-go) in others, all on one bridge. Nothing runs in the host's own namespace.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class MeshNetnsTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TempDirectory _dir = new("appliance-mesh");
    private readonly string _p = "apm" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..5];
    private readonly List<string> _namespaces = [];
    private readonly Dictionary<string, LongRunningProcess> _agents = [];
    private LongRunningProcess? _server;
    private const string ServerIp = "172.30.99.1";

    private string Ns(string n) => _p + n;
    private string Iface(string n) => _p + n + "0";
    private string DataDir => _dir.Combine("server");

    public async Task InitializeAsync()
    {
        Prerequisites.RequireRoot();
        foreach (var tool in new[] { "ip", "wg", "wireguard-go", "ping" })
        {
            Prerequisites.RequireProgram(tool);
        }
        await AddNamespaceAsync("w");
        await Ip("-n", Ns("w"), "link", "add", "br0", "type", "bridge");
        await Ip("-n", Ns("w"), "link", "set", "br0", "up");
        var host = 1;
        foreach (var n in new[] { "s", "a", "b", "c", "d" })
        {
            await AddNamespaceAsync(n);
            await Ip("link", "add", "ve0", "netns", Ns(n), "type", "veth", "peer", "name", "vb" + n, "netns", Ns("w"));
            await Ip("-n", Ns("w"), "link", "set", "vb" + n, "master", "br0", "up");
            await Ip("-n", Ns(n), "addr", "add", $"172.30.99.{host++}/24", "dev", "ve0");
            await Ip("-n", Ns(n), "link", "set", "ve0", "up");
        }
    }

    private async Task AddNamespaceAsync(string n)
    {
        await Ip("netns", "add", Ns(n));
        _namespaces.Add(Ns(n));
        await Ip("-n", Ns(n), "link", "set", "lo", "up");
    }

    private static async Task Ip(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20))).EnsureSuccess("ip " + string.Join(' ', args));

    private static Task<ProcessResult> InNs(string ns, params string[] args) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", ns, .. args], timeout: TimeSpan.FromSeconds(60));

    private async Task StartServerAsync()
    {
        _server = new LongRunningProcess("ip", ["netns", "exec", Ns("s"), "dotnet", Binaries.Server, "serve", "--data-dir", DataDir,
            "--urls", $"https://{ServerIp}:8443", "--mqtt-url", $"mqtts://{ServerIp}:8883", "--config", await ConfigFileAsync()]);
        await WaitForAsync("the server to answer", async () => (await Cli("network", "list", "--json")).ExitCode == 0, TimeSpan.FromSeconds(60), () => _server.Log);
    }

    private async Task<string> ConfigFileAsync()
    {
        var path = _dir.Combine("server.json");
        await File.WriteAllTextAsync(path, """{ "AddressHoldSeconds": 0 }""");
        return path;
    }

    private Task<ProcessResult> Cli(params string[] args) =>
        InNs(Ns("s"), ["dotnet", Binaries.Server, .. args, "--server", $"https://{ServerIp}:8443", "--data-dir", DataDir]);

    private async Task JoinAsync(string n, string token, int hostIndex)
    {
        (await InNs(Ns(n), "dotnet", Binaries.Agent, "join", "--token", token, "--state-dir", _dir.Combine("state-" + n),
            "--hostname", n, "--interface", Iface(n), "--endpoint", $"172.30.99.{hostIndex}")).EnsureSuccess("join " + n);
    }

    private void StartAgent(string n) =>
        _agents[n] = new LongRunningProcess("ip", ["netns", "exec", Ns(n), "dotnet", Binaries.Agent, "run", "--state-dir", _dir.Combine("state-" + n),
            "--hosts-file", _dir.Combine("hosts-" + n), "--backend", "userspace"]);

    private async Task<bool> PingAsync(string from, string to) =>
        (await ProcessRunner.RunAsync("ip", ["netns", "exec", Ns(from), "ping", "-n", "-q", "-c", "1", "-W", "1", to], timeout: TimeSpan.FromSeconds(10))).ExitCode == 0;

    private async Task<string> WgDumpAsync(string n) => (await InNs(Ns(n), "wg", "show", Iface(n), "dump")).EnsureSuccess("wg show " + n).StdOut;

    private async Task WaitForAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(300);
        }
        var logs = string.Join("\n", _agents.Select(a => $"--- agent {a.Key}:\n{a.Value.Log}"));
        Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}\n{diagnostics?.Invoke()}\n{logs}");
    }

    [Fact]
    public async Task Agents_form_a_mesh_follow_changes_and_survive_the_server()
    {
        await StartServerAsync();
        (await Cli("network", "create", "mesh", "--ipv4", "10.77.0.0/24")).EnsureSuccess("network create");
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>((await Cli("key", "create", "--network", "mesh", "--json")).EnsureSuccess("key create").StdOut, Json)!;
        var host = new Dictionary<string, int> { ["a"] = 2, ["b"] = 3, ["c"] = 4, ["d"] = 5 };
        var mesh = new Dictionary<string, string> { ["a"] = "10.77.0.1", ["b"] = "10.77.0.2", ["c"] = "10.77.0.3", ["d"] = "10.77.0.4" };
        foreach (var n in new[] { "a", "b", "c" })
        {
            await JoinAsync(n, key.Token!, host[n]);
            StartAgent(n);
        }

        // All pairs ping over the mesh.
        foreach (var (from, to) in new[] { ("a", "b"), ("a", "c"), ("b", "c"), ("c", "a") })
        {
            await WaitForAsync($"{from} to ping {to} over the mesh", () => PingAsync(from, mesh[to]), TimeSpan.FromSeconds(40));
        }
        var hosts = await File.ReadAllTextAsync(_dir.Combine("hosts-a"));
        Assert.Contains($"{mesh["b"]}\tb.mesh", hosts, StringComparison.Ordinal);

        // Agents report in: the server shows them online; `status` shows live handshakes.
        await WaitForAsync("the server to see every agent online", async () =>
        {
            var listed = JsonSerializer.Deserialize<List<NodeDto>>((await Cli("node", "list", "--json")).EnsureSuccess("node list").StdOut, Json)!;
            return listed.Count == 3 && listed.All(n => n.Online);
        }, TimeSpan.FromSeconds(30));
        var status = JsonSerializer.Deserialize<JsonElement>((await InNs(Ns("a"), "dotnet", Binaries.Agent, "status", "--json", "--state-dir", _dir.Combine("state-a"))).EnsureSuccess("status").StdOut);
        Assert.True(status.GetProperty("interfaceUp").GetBoolean());
        var peerB = status.GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "b");
        Assert.True(peerB.GetProperty("handshakeAgeSeconds").GetInt64() < 60);
        Assert.True(peerB.GetProperty("rxBytes").GetInt64() > 0);

        // A fourth node joins and everyone reaches it.
        var joinedAt = DateTime.UtcNow;
        await JoinAsync("d", key.Token!, host["d"]);
        StartAgent("d");
        foreach (var from in new[] { "a", "b", "c" })
        {
            await WaitForAsync($"{from} to reach the new node d", () => PingAsync(from, mesh["d"]), TimeSpan.FromSeconds(30));
        }
        var reachD = DateTime.UtcNow - joinedAt;

        // A node is deleted and disappears from the others.
        var nodes = JsonSerializer.Deserialize<List<NodeDto>>((await Cli("node", "list", "--json")).EnsureSuccess("node list").StdOut, Json)!;
        var c = nodes.Single(x => x.Name == "c");
        (await Cli("node", "delete", c.Id)).EnsureSuccess("node delete");
        await WaitForAsync("c to vanish from a's WireGuard peers", async () => !(await WgDumpAsync("a")).Contains(c.PublicKey, StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        // The server dies: tunnels keep passing traffic; an agent restarted meanwhile comes back from local state.
        await _server!.StopAsync(kill: true);
        Assert.True(await PingAsync("a", mesh["b"]), "a lost b when the server died");
        await _agents["b"].StopAsync();
        StartAgent("b");
        await WaitForAsync("b to restore its tunnels without the server", () => PingAsync("a", mesh["b"]), TimeSpan.FromSeconds(30));

        // The server comes back; a change made now (d's listen port) reaches the others.
        await StartServerAsync();
        var d = nodes.Single(x => x.Name == "d");
        (await Cli("node", "update", d.Id, "--listen-port", "51999")).EnsureSuccess("node update");
        await WaitForAsync("a to follow d's new listen port", async () => (await WgDumpAsync("a")).Contains($"172.30.99.{host["d"]}:51999", StringComparison.Ordinal), TimeSpan.FromSeconds(45));
        await WaitForAsync("d to listen on its new port", async () => (await WgDumpAsync("d")).Split('\n')[0].Contains("\t51999\t", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        await WaitForAsync("a to reach d on its new port", () => PingAsync("a", mesh["d"]), TimeSpan.FromSeconds(30));

        // d leaves: deregistered, its interface and hosts block gone, and the others drop it.
        var dKey = d.PublicKey;
        var leave = await InNs(Ns("d"), "dotnet", Binaries.Agent, "leave", "--state-dir", _dir.Combine("state-d"), "--hosts-file", _dir.Combine("hosts-d"));
        Assert.True(leave.ExitCode == 0, leave.StdOut + leave.StdErr);
        await _agents["d"].StopAsync();
        Assert.NotEqual(0, (await InNs(Ns("d"), "ip", "link", "show", Iface("d"))).ExitCode);
        Assert.DoesNotContain("appliance", await File.ReadAllTextAsync(_dir.Combine("hosts-d")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Combine("state-d"), "state.json")));
        await WaitForAsync("a to drop d after it left", async () => !(await WgDumpAsync("a")).Contains(dKey, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Console.WriteLine($"a fourth node was reachable from every other node {reachD.TotalSeconds:F1} s after its join started");
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        // wireguard-go processes the agents started for our interfaces, should any have outlived them.
        await ProcessRunner.RunAsync("pkill", "-f", "wireguard-go " + _p);
        foreach (var ns in _namespaces)
        {
            await ProcessRunner.RunAsync("ip", "netns", "del", ns);
        }
        _dir.Dispose();
    }
}
