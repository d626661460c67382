using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// The daemon with the broker unreachable (the server is down): it runs from local state, picks up a config that
/// `pull` saved, ignores an older one, and enforces ext-client expiry by itself. In-memory WireGuard and rtnetlink.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MeshDaemonTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-daemon");
    private readonly FakeWireGuardBackend _wg = new();
    private readonly FakeRouteNetlink _route = new();

    public void Dispose() => _dir.Dispose();

    private static PeerDto Peer(string id, string address) =>
        new(id, id, X25519.GenerateKeyPair().PublicKey.ToString(), [address + "/32"], null, [], 25);

    private static NodeConfigDto Config(long version, IReadOnlyList<PeerDto> peers, params ExtClientPeerDto[] clients) =>
        new("n1", "dev", version, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420), peers,
            clients.Length == 0 ? null : new GatewayRoleDto { Ingress = new IngressRoleDto { Clients = clients }, MeshRanges = ["10.10.0.0/24"] });

    private async Task WaitForAsync(string what, Func<bool> condition, StringWriter log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}\n{log}");
            await Task.Delay(50);
        }
    }

    // A joined node whose broker nobody listens on: the daemon keeps retrying it while it works from local state.
    private StateStore StoreWithUnreachableBroker()
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = $"mqtt://127.0.0.1:{Binaries.FreeTcpPort()}",
            SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(Ed25519.GeneratePrivateKey())),
        });
        return store;
    }

    private IReadOnlyList<string> PeerAddresses() =>
        [.. (_wg.TryGet("appliance0")?.Peers ?? []).SelectMany(p => p.AllowedIPs).Select(a => a.ToString()).Order()];

    [Fact]
    public async Task Without_the_broker_it_applies_pulled_configs_and_expires_ext_clients_on_time()
    {
        var store = StoreWithUnreachableBroker();
        var phone = new ExtClientPeerDto("x1", "phone", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.50/32"], true, DateTimeOffset.UtcNow.AddSeconds(2));
        store.SaveDesired(Config(5, [Peer("a", "10.10.0.2")], phone));
        _route.CreateLink("appliance0", "wireguard");
        var log = new StringWriter();
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts")), TextWriter.Synchronized(log));
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the restored state", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.50/32"]), log);
            await WaitForAsync("the ext client to expire", () => log.ToString().Contains("an ext client expired", StringComparison.Ordinal), log);
            Assert.Equal(["10.10.0.2/32"], PeerAddresses());

            // What `appliance-agent pull` does: save a newer desired state next to the running daemon.
            store.SaveDesired(Config(6, [Peer("a", "10.10.0.2"), Peer("b", "10.10.0.3")]));
            await WaitForAsync("the pulled config", () => log.ToString().Contains("picked up a pulled config", StringComparison.Ordinal), log);
            Assert.Equal(["10.10.0.2/32", "10.10.0.3/32"], PeerAddresses());

            // An older one (a stale pull) is not applied.
            store.SaveDesired(Config(4, [Peer("c", "10.10.0.4")]));
            await Task.Delay(2500);
            Assert.Equal(["10.10.0.2/32", "10.10.0.3/32"], PeerAddresses());
            Assert.Contains("10.10.0.3", File.ReadAllText(_dir.Combine("hosts")), StringComparison.Ordinal);
            Assert.Contains(_route.GetAddresses(), a => a.Address.Equals(IPAddress.Parse("10.10.0.1")));
        }
        finally
        {
            await cts.CancelAsync();
            // Stopped while still retrying the broker: a clean return, not an exception (the process exits 0).
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public async Task A_gateway_firewall_removed_by_other_software_is_put_back_within_the_check_interval()
    {
        var store = StoreWithUnreachableBroker();
        var egress = new GatewayRoleDto { Egress = new EgressRoleDto { Ranges = ["192.168.1.0/24"] }, MeshRanges = ["10.10.0.0/24"] };
        store.SaveDesired(Config(5, [Peer("a", "10.10.0.2")]) with { Gateway = egress });
        _route.CreateLink("appliance0", "wireguard");
        // nft as the kernel would answer: our table is listed once loaded, until "someone else" flushes the ruleset.
        var tablePresent = false;
        var runner = new FakeCommandRunner((program, args, _) =>
        {
            if (program == "nft" && args is ["-f", "-"])
            {
                Volatile.Write(ref tablePresent, true);
            }
            return FakeCommandRunner.Ok(program == "nft" && args is ["list", "tables"] && Volatile.Read(ref tablePresent) ? "table inet appliance\n" : "");
        });
        int Loads() => runner.Commands.ToArray().Count(c => c.Line == "nft -f -");
        var log = new StringWriter();
        await using var roles = new Gateway.GatewayRoles(_dir.Combine("state"), "nftables", TextWriter.Synchronized(log), runner, new FakeSysctl());
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts"), roles), TextWriter.Synchronized(log))
        {
            FirewallRepairInterval = TimeSpan.FromMilliseconds(100),
        };
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the gateway rules", () => Loads() == 1, log);
            // Checked and intact: read back, not loaded again.
            await WaitForAsync("a check of the intact rules", () => runner.Commands.ToArray().Count(c => c.Line == "nft list tables") >= 2, log);
            Assert.Equal(1, Loads());

            Volatile.Write(ref tablePresent, false); // `nft flush ruleset`, an fw4 reload...
            await WaitForAsync("the rules put back", () => Loads() == 2, log);
            Assert.Contains("rules were gone", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("192.168.1.0/24", runner.Commands.ToArray().Last(c => c.Line == "nft -f -").Stdin, StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public async Task A_desired_state_that_repeats_a_peer_is_applied_without_the_repeat_which_is_logged()
    {
        var store = StoreWithUnreachableBroker();
        var twice = Peer("a", "10.10.0.2");
        store.SaveDesired(Config(5, [twice, Peer("b", "10.10.0.3"), twice with { NodeId = "c", Name = "c", AllowedIps = ["10.10.0.4/32"] }]));
        _route.CreateLink("appliance0", "wireguard");
        var log = new StringWriter();
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts")), TextWriter.Synchronized(log));
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the restored state", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.3/32"]), log);
            await WaitForAsync("the skip in the log", () => log.ToString().Contains("skipped peer node 'c' (c): it repeats public key", StringComparison.Ordinal), log);
            Assert.DoesNotContain("could not apply", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public void Ext_client_counters_are_matched_to_peers_by_key_whatever_its_spelling()
    {
        var key = X25519.GenerateKeyPair().PublicKey;
        var spelled = MeshTranslatorTests.OtherSpelling(key.ToString());
        var config = Config(1, [], new ExtClientPeerDto("x1", "phone", spelled, ["10.10.0.50/32"], true, null));
        var device = new Appliance.WireGuard.WgDevice("appliance0") { Peers = [new Appliance.WireGuard.WgPeer(key) { RxBytes = 7, TxBytes = 9 }] };
        var report = Assert.Single(MeshDaemon.ExtClientReports(config, device)!);
        Assert.Equal(("x1", 7L, 9L), (report.Id, report.RxBytes, report.TxBytes));
    }
}
