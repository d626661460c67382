using System.Text;
using Appliance.Agent.Mesh;
using Appliance.Agent.Nat;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;
using Appliance.WireGuard;
using Appliance.WireGuard.Uapi;
using Xunit.Abstractions;

namespace Appliance.Agent.Tests;

/// <summary>
/// What the idle agent allocates per loop iteration with 100 peers and nothing changed (issue #15): the status read
/// (every second for the paths, every 5 s for the report), the device-to-peers observation and the path planner's step.
/// Allocation is counted on the test's own thread (every fake completes synchronously), after a warm-up.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class IdleAllocationTests(ITestOutputHelper output)
{
    private const int Peers = 100;

    private static readonly (NodeConfigDto Config, string Reply) Mesh = Build();

    private static (NodeConfigDto, string) Build()
    {
        var own = X25519.GenerateKeyPair();
        var peers = new List<PeerDto>();
        var reply = new StringBuilder($"private_key={own.PrivateKey.ToHex()}\nlisten_port=51820\n");
        for (var i = 0; i < Peers; i++)
        {
            var key = X25519.GenerateKeyPair().PublicKey;
            var endpoint = $"192.0.2.{i % 250 + 1}:51820";
            peers.Add(new PeerDto($"node{i:D3}", $"peer{i}", key.ToString(), [$"10.88.{i / 250}.{i % 250 + 2}/32"], endpoint, [endpoint], 20));
            // As wireguard-go lists a peer that was never reached: keepalives and initiations counted in tx_bytes.
            reply.Append($"public_key={key.ToHex()}\npreshared_key={new string('0', 64)}\nprotocol_version=1\nendpoint={endpoint}\n")
                .Append($"last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes={1184 + i}\nrx_bytes=0\npersistent_keepalive_interval=20\n")
                .Append($"allowed_ip=10.88.{i / 250}.{i % 250 + 2}/32\n");
        }
        reply.Append("errno=0\n\n");
        var config = new NodeConfigDto("node-self", "self", 7, new NodeInterfaceDto("rss", ["10.88.0.1/22"], 51820, 1420, Candidates: ["198.51.100.1:51820"]), peers);
        return (config, reply.ToString());
    }

    private long Measure(string what, int iterations, Action step)
    {
        for (var i = 0; i < 3; i++)
        {
            step();
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            step();
        }
        var perIteration = (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
        output.WriteLine($"{what}: {perIteration} bytes per iteration ({Peers} peers)");
        return perIteration;
    }

    // Before issue #15's session 10, measured here: status read 54,738 bytes (with the fake transport; the socket
    // transport's receive buffer, MemoryStream and reply text added ~195 KB more), observation 21,528, path step 101,608.
    [Fact]
    public void Status_read_observation_and_path_step_of_100_idle_peers_allocate_almost_nothing()
    {
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => Mesh.Reply));
        WgDevice? device = null;
        var read = Measure("status read (UAPI get, parse)", 20, () => device = backend.GetDeviceAsync("ap0").GetAwaiter().GetResult());
        var observer = new PeerObserver();
        IReadOnlyDictionary<string, PeerObservation>? observed = null;
        var observe = Measure("observation (device peers by node)", 20, () => observed = observer.Observe(Mesh.Config, device!));
        var planner = new PeerPathPlanner();
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        var step = Measure("path planner step", 20, () => planner.Step(Mesh.Config, observed!, now));
        Assert.Equal(Peers, device!.Peers.Count);
        Assert.Equal(Peers, observed!.Count);
        Assert.Equal(Peers, planner.Paths.Count);
        // The fake transport's own reply text and request log are most of the read's figure.
        Assert.True(read <= 1024, $"status read: {read} bytes");
        Assert.True(observe <= 128, $"observation: {observe} bytes");
        Assert.True(step <= 256, $"path step: {step} bytes");
    }

    [Fact]
    public async Task A_path_step_with_a_relay_and_peers_that_ran_out_of_candidates_allocates_almost_nothing()
    {
        // node000 is a relay; no peer ever handshakes, so after their one candidate's probe time every other peer looks
        // for a live relay at each step (and the relay watch runs every step).
        var config = Mesh.Config with { Peers = [.. Mesh.Config.Peers.Select((p, i) => i == 0 ? p with { Relay = true } : p)] };
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => Mesh.Reply));
        var device = await backend.GetDeviceAsync("ap0");
        var observer = new PeerObserver();
        var observed = observer.Observe(config, device);
        // The relay stays alive: its received bytes grow at every step (two observations, taken in turn).
        var relayId = config.Peers[0].NodeId;
        Dictionary<string, PeerObservation>[] turns = [new(observed, StringComparer.Ordinal), new(observed, StringComparer.Ordinal)];
        var turn = 0;
        IReadOnlyDictionary<string, PeerObservation> Next()
        {
            var o = turns[turn++ % 2];
            o[relayId] = o[relayId] with { RxBytes = o[relayId].RxBytes + 1 };
            return o;
        }
        var planner = new PeerPathPlanner();
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        for (var s = 0; s < 30; s++)
        {
            planner.Step(config, Next(), now = now.AddSeconds(1));
        }
        Assert.Equal(Peers - 1, planner.Paths.Values.Count(p => p.Kind == PeerPathKind.Relayed && p.Via == relayId));
        var step = Measure("path planner step, relayed peers", 20, () => planner.Step(config, turns[turn++ % 2], now = now.AddSeconds(1)));
        Assert.True(step <= 256, $"path step: {step} bytes");
    }

    [Fact]
    public async Task The_report_loops_path_reports_match_the_plain_ones_through_changes_and_cost_nothing_when_idle()
    {
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => Mesh.Reply));
        var device = await backend.GetDeviceAsync("ap0");
        var planner = new PeerPathPlanner();
        var observer = new PeerObserver();
        var reporter = new PathReporter();
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        var config = Mesh.Config;
        void Same(NodeConfigDto c, WgDevice? d, DateTimeOffset t) =>
            Assert.Equal(MeshDaemon.PathReports(c, planner.Paths, d, t).ToList(), reporter.Report(c, planner.Paths, d, t).ToList());
        planner.Step(config, observer.Observe(config, device), now);
        Same(config, device, now);
        Same(config, null, now);
        Same(config, device, now.AddSeconds(5));
        // A handshake (its age then moves every tick), an endpoint that roams, a peer that goes, a relay.
        var peer9 = device.Peers.Single(p => p.PublicKey.ToString() == config.Peers[9].PublicKey);
        var shaken = device with { Peers = [.. device.Peers.Select(p => ReferenceEquals(p, peer9) ? p with { LastHandshake = now.AddSeconds(6), Endpoint = System.Net.IPEndPoint.Parse("203.0.113.5:1000") } : p)] };
        planner.Step(config, observer.Observe(config, shaken), now.AddSeconds(7));
        Same(config, shaken, now.AddSeconds(7));
        Same(config, shaken, now.AddSeconds(12));
        var fewer = config with { Peers = [.. config.Peers.Take(40).Select((p, i) => i == 0 ? p with { Relay = true } : p)] };
        planner.Step(fewer, observer.Observe(fewer, shaken), now.AddSeconds(40));
        Same(fewer, shaken, now.AddSeconds(40));
        Same(config, shaken, now.AddSeconds(45));
        // Idle: nothing changed, no handshakes: the kept reports are handed out again.
        planner.Step(config, observer.Observe(config, device), now.AddSeconds(50));
        var at = now.AddSeconds(50);
        var report = Measure("report loop's path reports", 20, () => reporter.Report(config, planner.Paths, device, at = at.AddSeconds(5)));
        Assert.True(report <= 256, $"path reports: {report} bytes");
    }

    [Fact]
    public async Task A_planner_step_still_sees_a_new_desired_state_and_a_new_observation()
    {
        using var backend = new UserspaceWireGuardBackend(new FakeUapiTransport(_ => Mesh.Reply));
        var device = await backend.GetDeviceAsync("ap0");
        var observer = new PeerObserver();
        var planner = new PeerPathPlanner();
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        Assert.True(planner.Step(Mesh.Config, observer.Observe(Mesh.Config, device), now));
        Assert.False(planner.Step(Mesh.Config, observer.Observe(Mesh.Config, device), now.AddSeconds(1)));
        // A new state (same values, new objects, one peer's endpoint moved) is read anew, not taken from the cache.
        var moved = Mesh.Config with { Peers = [.. Mesh.Config.Peers.Select((p, i) => i == 5 ? p with { Endpoints = ["203.0.113.9:4000"] } : p with { })] };
        Assert.True(planner.Step(moved, observer.Observe(moved, device), now.AddSeconds(2)));
        Assert.Equal(System.Net.IPEndPoint.Parse("203.0.113.9:4000"), planner.Paths["node005"].Endpoint);
        // A handshake on the device makes that peer direct at the next step.
        var peer = device.Peers.Single(p => p.PublicKey.ToString() == moved.Peers[9].PublicKey);
        var shaken = device with { Peers = [.. device.Peers.Select(p => ReferenceEquals(p, peer) ? p with { LastHandshake = now.AddSeconds(2) } : p)] };
        Assert.True(planner.Step(moved, observer.Observe(moved, shaken), now.AddSeconds(3)));
        Assert.Equal(PeerPathKind.Direct, planner.Paths["node009"].Kind);
        // A peer gone from the desired state is gone from the paths.
        var fewer = moved with { Peers = [.. moved.Peers.Take(50)] };
        Assert.True(planner.Step(fewer, observer.Observe(fewer, shaken), now.AddSeconds(4)));
        Assert.Equal(50, planner.Paths.Count);
    }

    [Fact]
    public void The_report_facts_change_with_a_path_and_not_with_a_handshake_age()
    {
        var report = new Contracts.Mesh.NodeReport
        {
            ListenPort = 51820, Endpoints = ["192.0.2.1", "2001:db8::1"], AppliedVersion = 7,
            Peers = [new("n1", Contracts.Mesh.PeerPathReport.Direct, null, "192.0.2.5:51820", 10), new("n2", Contracts.Mesh.PeerPathReport.Relayed, "n1", "192.0.2.5:51820", null)],
        };
        var a = new StringBuilder();
        MeshDaemon.ReportFacts(report, a);
        Assert.Equal("51820|192.0.2.1,2001:db8::1|7|False|False|n1=direct//192.0.2.5:51820,n2=relay/n1/192.0.2.5:51820", a.ToString());
        var b = new StringBuilder();
        MeshDaemon.ReportFacts(report with { Peers = [report.Peers[0] with { HandshakeAgeSeconds = 99 }, report.Peers[1]] }, b);
        Assert.True(a.Equals(b));
        MeshDaemon.ReportFacts(report with { Peers = [report.Peers[0] with { Endpoint = "192.0.2.6:51820" }, report.Peers[1]] }, b.Clear());
        Assert.False(a.Equals(b));
    }
}
