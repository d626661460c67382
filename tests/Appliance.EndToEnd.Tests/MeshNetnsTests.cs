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
    private static readonly JsonSerializerOptions Json = MeshLab.Json;
    private MeshLab _lab = null!;
    private readonly Dictionary<string, LongRunningProcess> _agents = [];

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("mesh");
        await _lab.CreateUnderlayAsync();
        foreach (var n in new[] { "s", "a", "b", "c", "d" })
        {
            await _lab.AddHostAsync(n);
        }
    }

    private string Ns(string n) => _lab.Ns(n);
    private string Iface(string n) => _lab.Iface(n);
    private Task StartServerAsync() => _lab.StartServerAsync();
    private Task<ProcessResult> Cli(params string[] args) => _lab.Cli(args);
    private static Task<ProcessResult> InNs(string ns, params string[] args) => MeshLab.InNs(ns, args);
    private Task JoinAsync(string n, string token, int hostIndex) => _lab.JoinAsync(n, token);
    private void StartAgent(string n)
    {
        _lab.StartAgent(n);
        _agents[n] = _lab.Agents[n];
    }
    private Task<bool> PingAsync(string from, string to) => _lab.PingAsync(from, to);
    private Task<string> WgDumpAsync(string n) => _lab.WgDumpAsync(n);
    private Task WaitForAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? diagnostics = null) =>
        _lab.WaitForAsync(what, condition, timeout, diagnostics);

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
        var hosts = await File.ReadAllTextAsync(_lab.Dir.Combine("hosts-a"));
        Assert.Contains($"{mesh["b"]}\tb.mesh", hosts, StringComparison.Ordinal);

        // Agents report in: the server shows them online; `status` shows live handshakes.
        await WaitForAsync("the server to see every agent online", async () =>
        {
            var listed = JsonSerializer.Deserialize<List<NodeDto>>((await Cli("node", "list", "--json")).EnsureSuccess("node list").StdOut, Json)!;
            return listed.Count == 3 && listed.All(n => n.Online);
        }, TimeSpan.FromSeconds(30));
        var status = JsonSerializer.Deserialize<JsonElement>((await InNs(Ns("a"), "dotnet", Binaries.Agent, "status", "--json", "--state-dir", _lab.Dir.Combine("state-a"))).EnsureSuccess("status").StdOut);
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
        await _lab.Server!.StopAsync(kill: true);
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
        var leave = await InNs(Ns("d"), "dotnet", Binaries.Agent, "leave", "--state-dir", _lab.Dir.Combine("state-d"), "--hosts-file", _lab.Dir.Combine("hosts-d"));
        Assert.True(leave.ExitCode == 0, leave.StdOut + leave.StdErr);
        await _agents["d"].StopAsync();
        Assert.NotEqual(0, (await InNs(Ns("d"), "ip", "link", "show", Iface("d"))).ExitCode);
        Assert.DoesNotContain("appliance", await File.ReadAllTextAsync(_lab.Dir.Combine("hosts-d")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_lab.Dir.Combine("state-d"), "state.json")));
        await WaitForAsync("a to drop d after it left", async () => !(await WgDumpAsync("a")).Contains(dKey, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Console.WriteLine($"a fourth node was reachable from every other node {reachD.TotalSeconds:F1} s after its join started");
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
