using System.Diagnostics;
using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.TestSupport;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// NAT traversal on real parts (issue #18): the server and two relays on the "public" bridge; sites behind nftables
/// masquerade in their own router namespaces: A and B keep ports (cone-like), C and K use fully-random (iptables' random-fully: symmetric),
/// D has two nodes behind one NAT. Real agents with wireguard-go; what WireGuard does is read with `wg show` in each
/// namespace.
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class NatNetnsTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = MeshLab.Json;
    private MeshLab _lab = null!;
    private readonly Dictionary<string, string> _public = [];

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("nat");
        try
        {
            await BuildAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose set-up failed: the namespaces made so far go now.
            await _lab.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync()
    {
        foreach (var tool in new[] { "nft", "conntrack", "iperf3" })
        {
            Prerequisites.RequireProgram(tool);
        }
        await _lab.CreateUnderlayAsync();
        foreach (var n in new[] { "s", "r1", "r2" })
        {
            await _lab.AddHostAsync(n);
        }
        await AddSiteAsync("na", 1, randomFully: false, "a");
        await AddSiteAsync("nb", 2, randomFully: false, "b");
        await AddSiteAsync("nc", 3, randomFully: true, "c");
        await AddSiteAsync("nk", 5, randomFully: true, "k");
        await AddSiteAsync("nd", 4, randomFully: false, "d1", "d2");
    }

    /// <summary>
    /// A site: a router namespace on the bridge (masquerading its LAN 10.201.N.0/24) and its nodes on that LAN. Like
    /// every home router it drops unsolicited packets from the WAN to itself: without that, a peer's first punch
    /// arriving before the local node sent would be delivered locally and leave a conntrack entry that makes the NAT
    /// pick another port for the node's own packets to that peer.
    /// </summary>
    private async Task AddSiteAsync(string router, int site, bool randomFully, params string[] nodes)
    {
        _public[router] = await _lab.AddHostAsync(router);
        await MeshLab.Ip("-n", _lab.Ns(router), "link", "add", "lan", "type", "bridge");
        await MeshLab.Ip("-n", _lab.Ns(router), "addr", "add", $"10.201.{site}.1/24", "dev", "lan");
        await MeshLab.Ip("-n", _lab.Ns(router), "link", "set", "lan", "up");
        (await _lab.In(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")).EnsureSuccess("ip_forward " + router);
        var rules = _lab.Dir.Combine($"nat-{router}.nft");
        await File.WriteAllTextAsync(rules, $$"""
            table ip nat {
                chain post {
                    type nat hook postrouting priority srcnat;
                    oifname "ve0" masquerade{{(randomFully ? " fully-random" : "")}}
                }
            }
            table inet filter {
                chain input {
                    type filter hook input priority filter; policy accept;
                    iifname "ve0" ct state new,invalid drop
                }
            }
            """);
        (await _lab.In(router, "nft", "-f", rules)).EnsureSuccess("nft " + router);
        var host = 2;
        foreach (var n in nodes)
        {
            await _lab.AddNamespaceAsync(n);
            await MeshLab.Ip("link", "add", "ve0", "netns", _lab.Ns(n), "type", "veth", "peer", "name", "vl" + n, "netns", _lab.Ns(router));
            await MeshLab.Ip("-n", _lab.Ns(router), "link", "set", "vl" + n, "master", "lan", "up");
            var lan = $"10.201.{site}.{host++}";
            await MeshLab.Ip("-n", _lab.Ns(n), "addr", "add", lan + "/24", "dev", "ve0");
            await MeshLab.Ip("-n", _lab.Ns(n), "link", "set", "ve0", "up");
            await MeshLab.Ip("-n", _lab.Ns(n), "route", "add", "default", "via", $"10.201.{site}.1");
            _lab.Underlay[n] = lan; // what the node reports as its endpoint: its LAN address
        }
    }

    private async Task<List<NodeDto>> NodesAsync() =>
        JsonSerializer.Deserialize<List<NodeDto>>((await _lab.Cli("node", "list", "--json")).EnsureSuccess("node list").StdOut, Json)!;

    /// <summary>`wg show dump` of a namespace: per peer public key, its endpoint and allowed IPs.</summary>
    private async Task<Dictionary<string, (string Endpoint, string AllowedIps)>> PeersAsync(string n) =>
        (await _lab.WgDumpAsync(n)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split('\t')).ToDictionary(f => f[0], f => (f[2], f[3]), StringComparer.Ordinal);

    private async Task<JsonElement> StatusPeerAsync(string n, string peer)
    {
        var r = (await _lab.In(n, "dotnet", Binaries.Agent, "status", "--json", "--state-dir", _lab.Dir.Combine("state-" + n))).EnsureSuccess("status " + n);
        return JsonSerializer.Deserialize<JsonElement>(r.StdOut).GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == peer);
    }

    /// <summary>Waits (30 s at most) until <paramref name="n"/>'s status shows its peer as <paramref name="done"/> says; returns that peer entry.</summary>
    private async Task<JsonElement> WaitForStatusAsync(string n, string peer, Func<JsonElement, bool> done, string what)
    {
        JsonElement last = default;
        await _lab.WaitForAsync(what, async () => done(last = await StatusPeerAsync(n, peer)), TimeSpan.FromSeconds(30), () => last.ToString());
        return last;
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private async Task<double> IperfMbitsAsync(string client, string server, string serverMeshIp)
    {
        var listener = _lab.Start(server, "iperf3", "-s", "-1", "-B", serverMeshIp);
        await _lab.WaitForAsync($"iperf3 to listen in {server}", async () => (await _lab.In(server, "ss", "-ltn", "sport = :5201")).StdOut.Contains("5201", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        var r = (await _lab.In(client, "iperf3", "-c", serverMeshIp, "-t", "3", "-J")).EnsureSuccess($"iperf3 {client} -> {server}");
        await listener.StopAsync();
        return JsonSerializer.Deserialize<JsonElement>(r.StdOut).GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6;
    }

    [Fact]
    public async Task Nodes_behind_nat_punch_through_cone_nats_use_relays_for_symmetric_ones_and_survive_a_relay_dying()
    {
        await _lab.StartServerAsync();
        (await _lab.Cli("network", "create", "nat", "--ipv4", "10.78.0.0/24")).EnsureSuccess("network create");
        var key = JsonSerializer.Deserialize<EnrollmentKeyDto>((await _lab.Cli("key", "create", "--network", "nat", "--json")).EnsureSuccess("key create").StdOut, Json)!;
        foreach (var r in new[] { "r1", "r2" })
        {
            await _lab.JoinAsync(r, key.Token!);
            _lab.StartAgent(r);
        }
        foreach (var r in (await NodesAsync()).Where(n => n.Name is "r1" or "r2"))
        {
            (await _lab.Cli("node", "relay", r.Id)).EnsureSuccess("node relay " + r.Name);
        }

        // Join -> first ping counts from the join of a pair's second node (its first one is already running).
        var joined = new Dictionary<string, Stopwatch>(StringComparer.Ordinal);
        foreach (var n in new[] { "a", "b", "c", "k", "d1", "d2" })
        {
            joined[n] = Stopwatch.StartNew();
            await _lab.JoinAsync(n, key.Token!);
            _lab.StartAgent(n);
        }
        var nodes = (await NodesAsync()).ToDictionary(n => n.Name, StringComparer.Ordinal);
        string Mesh(string n) => nodes[n].Ipv4Address!.Split('/')[0];
        string KeyOf(string n) => nodes[n].PublicKey;

        // A <-> B: direct through both NATs, each on the other NAT's public address, no relay on the path.
        await _lab.WaitForAsync("a to ping b", () => _lab.PingAsync("a", Mesh("b")), TimeSpan.FromSeconds(60));
        var firstPing = joined["b"].Elapsed;
        await _lab.WaitForAsync("a and b to go direct through their NATs", async () =>
        {
            var onA = await PeersAsync("a");
            var onB = await PeersAsync("b");
            return onA[KeyOf("b")].Endpoint == $"{_public["nb"]}:51821" && onA[KeyOf("b")].AllowedIps.Contains(Mesh("b") + "/32", StringComparison.Ordinal) &&
                onB[KeyOf("a")].Endpoint == $"{_public["na"]}:51821" && onB[KeyOf("a")].AllowedIps.Contains(Mesh("a") + "/32", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60));
        var direct = joined["b"].Elapsed;
        Assert.True(await _lab.PingAsync("a", Mesh("b")));
        // The agent's status follows its path planner, which looks at the handshakes every few seconds.
        await WaitForStatusAsync("a", "b", p => Str(p, "path") == "direct", "a's status to say b is direct");

        // C <-> K (both symmetric) and A <-> C: through a relay, and status says which.
        await _lab.WaitForAsync("c to ping k", () => _lab.PingAsync("c", Mesh("k")), TimeSpan.FromSeconds(90));
        var relayedPing = joined["k"].Elapsed;
        await _lab.WaitForAsync("a to ping c", () => _lab.PingAsync("a", Mesh("c")), TimeSpan.FromSeconds(60));
        var cToK = await WaitForStatusAsync("c", "k", p => Str(p, "path") == "relay", "c's status to say k is relayed");
        var relay = Str(cToK, "via")!;
        Assert.Contains(relay, new[] { "r1", "r2" });
        await WaitForStatusAsync("k", "c", p => Str(p, "via") == relay, $"k's status to say c goes through {relay}");
        await WaitForStatusAsync("a", "c", p => Str(p, "path") == "relay", "a's status to say c is relayed");
        Assert.Contains(Mesh("k") + "/32", (await PeersAsync("c"))[KeyOf(relay)].AllowedIps, StringComparison.Ordinal);

        // D: two nodes behind one NAT use their LAN addresses.
        await _lab.WaitForAsync("d1 to ping d2", () => _lab.PingAsync("d1", Mesh("d2")), TimeSpan.FromSeconds(60));
        await _lab.WaitForAsync("d1 to reach d2 on its LAN address", async () => (await PeersAsync("d1"))[KeyOf("d2")].Endpoint == $"{_lab.Underlay["d2"]}:51821",
            TimeSpan.FromSeconds(30));
        Assert.Equal($"{_lab.Underlay["d1"]}:51821", (await PeersAsync("d2"))[KeyOf("d1")].Endpoint);

        // The server's node API shows the paths the agents report.
        await _lab.WaitForAsync("the node API to show a's paths", async () =>
        {
            var shown = await _lab.ApiAsync<NodeDto>("GET", $"/api/v1/nodes/{nodes["a"].Id}");
            return shown.Paths?.Any(p => p.NodeId == nodes["b"].Id && p.Path == PeerPathReport.Direct) == true &&
                shown.Paths.Any(p => p.NodeId == nodes["c"].Id && p.Path == PeerPathReport.Relayed && p.Via == nodes[relay].Id);
        }, TimeSpan.FromSeconds(30));

        // Throughput over the tunnel, side by side: direct (a -> b) and relayed (c -> k).
        var directMbits = await IperfMbitsAsync("a", "b", Mesh("b"));
        var relayedMbits = await IperfMbitsAsync("c", "k", Mesh("k"));

        // The relay in use dies (its link goes down): the pairs move to the other relay within 15 s.
        var other = relay == "r1" ? "r2" : "r1";
        await MeshLab.Ip("-n", _lab.Ns(relay), "link", "set", "ve0", "down");
        var cut = Stopwatch.StartNew();
        await _lab.WaitForAsync("c to reach k again through the other relay", () => _lab.PingAsync("c", Mesh("k")), TimeSpan.FromSeconds(15));
        var failover = cut.Elapsed;
        await _lab.WaitForAsync("a to reach c again", () => _lab.PingAsync("a", Mesh("c")), TimeSpan.FromSeconds(15));
        await WaitForStatusAsync("c", "k", p => Str(p, "via") == other, $"c's status to say k goes through {other}");

        // The relay comes back: the pairs stay where they are.
        await MeshLab.Ip("-n", _lab.Ns(relay), "link", "set", "ve0", "up");
        await Task.Delay(TimeSpan.FromSeconds(15));
        Assert.Equal(other, Str(await StatusPeerAsync("c", "k"), "via"));
        Assert.Equal(other, Str(await StatusPeerAsync("k", "c"), "via"));
        Assert.True(await _lab.PingAsync("c", Mesh("k")));

        // A's NAT forgets its mappings: A <-> B recovers within 30 s.
        (await _lab.In("na", "conntrack", "-F")).EnsureSuccess("conntrack -F");
        var flushed = Stopwatch.StartNew();
        await _lab.WaitForAsync("a to reach b after its NAT was flushed", async () => await _lab.PingAsync("a", Mesh("b")) && await _lab.PingAsync("b", Mesh("a")),
            TimeSpan.FromSeconds(30));
        var recovered = flushed.Elapsed;

        Console.WriteLine($"join of b -> first ping a->b {firstPing.TotalSeconds:F1} s (direct through both NATs at {direct.TotalSeconds:F1} s); " +
            $"join of k -> first relayed ping c->k {relayedPing.TotalSeconds:F1} s");
        Console.WriteLine($"iperf3 over the tunnel: direct a->b {directMbits:F0} Mbit/s, relayed c->k {relayedMbits:F0} Mbit/s");
        Console.WriteLine($"relay failover {failover.TotalSeconds:F1} s; recovery after conntrack flush {recovered.TotalSeconds:F1} s");
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
