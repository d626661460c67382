using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>
/// The daemon on a fake clock with a fake broker client: with the broker unreachable (the server is down) it runs from
/// local state, picks up a config that `pull` saved, ignores an older one, enforces ext-client expiry by itself and
/// retries the broker on its clock; connected, it subscribes to its own updates, asks for a snapshot at every connect,
/// applies signed updates and reports its status at the interval. In-memory WireGuard and rtnetlink.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MeshDaemonTests : IDisposable
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();
    private static readonly string JoinedKey = Convert.ToBase64String(Ed25519.PublicKeyOf(ServerKey));

    private readonly TempDirectory _dir = new("appliance-daemon");
    private readonly FakeWireGuardBackend _wg = new();
    private readonly FakeRouteNetlink _route = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeMqttClientFactory _broker = new();
    private readonly StringWriter _log = new();

    public MeshDaemonTests() => _route.CreateLink("appliance0", "wireguard");

    public void Dispose() => _dir.Dispose();

    private TextWriter Log => TextWriter.Synchronized(_log);

    private static PeerDto Peer(string id, string address) =>
        new(id, id, X25519.GenerateKeyPair().PublicKey.ToString(), [address + "/32"], null, [], 25);

    private static NodeConfigDto Config(long version, IReadOnlyList<PeerDto> peers, params ExtClientPeerDto[] clients) =>
        new("n1", "dev", version, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420), peers,
            clients.Length == 0 ? null : new GatewayRoleDto { Ingress = new IngressRoleDto { Clients = clients }, MeshRanges = ["10.10.0.0/24"] })
        {
            Epoch = "e1",
            ServerId = "s1",
        };

    /// <summary>Waits (real time) for <paramref name="condition"/>; <paramref name="step"/> runs between polls, e.g. to advance the fake clock.</summary>
    private Task WaitForAsync(string what, Func<bool> condition, Action? step = null) =>
        Wait.UntilAsync(condition, what, step ?? (() => { }), detail: () => _log.ToString());

    private void Tick() => _clock.Advance(TimeSpan.FromSeconds(1));

    private bool Logged(string text) => _log.ToString().Contains(text, StringComparison.Ordinal);

    // A joined node; whether its broker answers is the fake factory's Reachable.
    private StateStore JoinedStore()
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = "mqtt://broker.invalid:1883",
            SigningKey = JoinedKey,
        });
        return store;
    }

    private MeshDaemon Daemon(StateStore store, IGatewayRoles? roles = null, TimeSpan? firewallRepair = null, INodeStateSource? https = null) =>
        new(store, new MeshApplier(_wg, _route, _dir.Combine("hosts"), roles, _clock), Log, _clock, _broker)
        {
            FirewallRepairInterval = firewallRepair ?? TimeSpan.FromSeconds(5),
            StateSource = https is null ? null : _ => https,
        };

    private IReadOnlyList<string> PeerAddresses() =>
        [.. (_wg.TryGet("appliance0")?.Peers ?? []).SelectMany(p => p.AllowedIPs).Select(a => a.ToString()).Order()];

    private static async Task StopAsync(CancellationTokenSource cts, Task<int> run)
    {
        await cts.CancelAsync();
        // Stopped in any state, also while still retrying the broker: a clean return, not an exception (the process exits 0).
        Assert.Equal(0, await run);
    }

    [Fact]
    public async Task Without_the_broker_it_applies_pulled_configs_and_expires_ext_clients_on_time()
    {
        _broker.Reachable = false;
        var store = JoinedStore();
        var phone = new ExtClientPeerDto("x1", "phone", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.50/32"], true, _clock.GetUtcNow().AddSeconds(2));
        store.SaveDesired(Config(5, [Peer("a", "10.10.0.2")], phone));
        using var cts = new CancellationTokenSource();
        var run = Daemon(store).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the restored state", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.50/32"]));
            await WaitForAsync("the ext client to expire", () => Logged("an ext client expired"), Tick);
            Assert.Equal(["10.10.0.2/32"], PeerAddresses());
            Assert.True(_clock.GetUtcNow() >= phone.ExpiresAt, "expired before its time");

            // What `appliance-agent pull` does: save a newer desired state next to the running daemon.
            store.SaveDesired(Config(6, [Peer("a", "10.10.0.2"), Peer("b", "10.10.0.3")]));
            await WaitForAsync("the pulled config", () => Logged("picked up a pulled config"), Tick);
            Assert.Equal(["10.10.0.2/32", "10.10.0.3/32"], PeerAddresses());

            // An older one (a stale pull) is looked at and not applied.
            store.SaveDesired(Config(4, [Peer("c", "10.10.0.4")]));
            await WaitForAsync("the stale pull to be seen", () => Logged("ignoring a pulled config: v4 is not newer than v6"), Tick);
            Assert.Equal(["10.10.0.2/32", "10.10.0.3/32"], PeerAddresses());
            Assert.Contains("10.10.0.3", File.ReadAllText(_dir.Combine("hosts")), StringComparison.Ordinal);
            Assert.Contains(_route.GetAddresses(), a => a.Address.Equals(IPAddress.Parse("10.10.0.1")));
        }
        finally
        {
            await StopAsync(cts, run);
        }
    }

    [Fact]
    public async Task An_unreachable_broker_is_retried_on_the_daemons_clock_with_backoff()
    {
        _broker.Reachable = false;
        using var cts = new CancellationTokenSource();
        var run = Daemon(JoinedStore()).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the first attempt", () => Logged("cannot reach the broker at mqtt://broker.invalid:1883"));
            Assert.Contains("retrying in 0.5 s", _log.ToString(), StringComparison.Ordinal);
            // The wait is on the daemon's clock: while it stands still nothing is retried, whatever the wall clock does;
            // once it moves past the wait, the retry comes.
            await Task.Delay(300);
            Assert.Equal(1, _broker.Last!.ConnectAttempts);
            await WaitForAsync("the first retry", () => _broker.Last!.ConnectAttempts == 2, Tick);
            // Backoff: each wait is twice the one before.
            await WaitForAsync("the second retry", () => _broker.Last!.ConnectAttempts == 3, Tick);
            await WaitForAsync("the third failure", () => Logged("retrying in 2 s"), Tick);
            Assert.True(Logged("retrying in 1 s"), _log.ToString());

            _broker.Reachable = true;
            await WaitForAsync("the connection", () => _broker.Last!.IsConnected, Tick);
            Assert.Single(_broker.Clients); // one client, retried: its subscriptions and session belong together
        }
        finally
        {
            await StopAsync(cts, run);
        }
    }

    [Fact]
    public async Task Connected_it_follows_its_own_topic_asks_for_snapshots_applies_signed_updates_and_reports()
    {
        var store = JoinedStore();
        var v5 = Config(5, [Peer("a", "10.10.0.2")]);
        store.SaveDesired(v5);
        using var cts = new CancellationTokenSource();
        // A rejected message makes the daemon check over HTTPS soon: that answers from memory, with nothing newer.
        var https = new FakeNodeStateSource(new SigningKeyChainDto(JoinedKey, []), v5);
        var daemon = Daemon(store, https: https);
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the subscriptions", () => _broker.Last?.Subscriptions.Count == 3);
            var client = _broker.Last!;
            // Its updates, its network's shared updates, and its one-off commands (identify).
            Assert.Equal([MeshTopics.Updates("n1"), MeshTopics.NetworkUpdates("home"), MeshTopics.Commands("n1")], client.Subscriptions);
            Assert.Equal(("n1", "n1", "apn.n1.secret", "broker.invalid", 1883), (client.Options.ClientId, client.Options.UserName, client.Options.Password, client.Options.Host, client.Options.Port));
            // Once subscribed, it asks for updates from the state it holds, and says it reads the shared topic.
            await WaitForAsync("a resync request", () => client.Published.Any(p => p.Topic == MeshTopics.Resync("n1") && p.Text.Contains("\"networkTopic\":true", StringComparison.Ordinal)));
            var asked = client.Published.Last(p => p.Topic == MeshTopics.Resync("n1"));
            Assert.Equal(("{\"networkTopic\":true,\"version\":5,\"epoch\":\"e1\",\"serverId\":\"s1\"}", MqttQos.AtLeastOnce), (asked.Text, asked.Qos));

            // A signed delta on the node's topic is applied; one signed by someone else is rejected.
            var v6 = Config(6, [.. v5.Peers, Peer("b", "10.10.0.3")]);
            var delta = MeshDelta.Compute(v5, v6, _clock.GetUtcNow());
            Assert.True(client.Deliver(MeshTopics.Updates("n1"), SignedEnvelope.Seal(Ed25519.GeneratePrivateKey(), JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate))));
            Assert.True(client.Deliver(MeshTopics.Updates("n1"), SignedEnvelope.Seal(ServerKey, JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate))));
            await WaitForAsync("the delta", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.3/32"]));
            Assert.Equal(6, store.LoadDesired()!.Version);
            Assert.True(Logged("rejected a message (1 so far): bad signature"), _log.ToString());

            // Status reports: at once when connected, then every ReportInterval of the daemon's clock.
            List<NodeReport> Reports() => [.. client.Published.Where(p => p.Topic == MeshTopics.Status("n1"))
                .Select(p => JsonSerializer.Deserialize(p.Payload, ApplianceJsonContext.Default.NodeReport)!)];
            await WaitForAsync("the first status report", () => Reports().Count >= 1);
            Assert.Equal(51821, Reports()[0].ListenPort);
            await WaitForAsync("the report of the applied version", () => Reports().Any(r => r.AppliedVersion == 6), Tick);
            var (before, since) = (Reports().Count, _clock.GetUtcNow());
            await WaitForAsync("the report at the interval", () => Reports().Count == before + 1, Tick);
            // Nothing changed in between: the next report is the liveness one, an interval later (the loop looks every 5 s).
            Assert.True(_clock.GetUtcNow() - since >= daemon.ReportInterval - TimeSpan.FromSeconds(5), $"reported after {_clock.GetUtcNow() - since}");

            // A lost and restored connection asks for a snapshot again (the node may have missed deltas).
            var requests = client.Published.Count(p => p.Topic == MeshTopics.Resync("n1"));
            client.Drop();
            Assert.True(Logged("lost the broker; keeping the current state and retrying"));
            var reported = Reports().Count;
            var restored = _clock.GetUtcNow();
            client.Restore();
            await WaitForAsync("a new resync request", () => client.Published.Count(p => p.Topic == MeshTopics.Resync("n1")) == requests + 1);
            // It names the version it holds now: the server sends a snapshot only when that is not the current one.
            Assert.Contains("\"version\":6", client.Published.Last(p => p.Topic == MeshTopics.Resync("n1")).Text, StringComparison.Ordinal);
            // ...and reports at the next tick, not an interval later: a restarted server learns the paths again at once.
            await WaitForAsync("a report after the reconnect", () => Reports().Count > reported, Tick);
            Assert.True(_clock.GetUtcNow() - restored <= TimeSpan.FromSeconds(6), $"reported {_clock.GetUtcNow() - restored} after the reconnect");
        }
        finally
        {
            await StopAsync(cts, run);
        }
        Assert.True(_broker.Last!.Disposed);
    }

    private static byte[] Signed(MeshUpdate update) =>
        SignedEnvelope.Seal(ServerKey, JsonSerializer.SerializeToUtf8Bytes(update, ApplianceJsonContext.Default.MeshUpdate));

    private static MeshUpdate NetworkDelta(long from, long to, string[] except, string network = "home", params PeerDto[] upserts) =>
        MeshDelta.NetworkDelta(network, from, to, null, null, new MeshPeerChanges(upserts, []), except, "e1", default) with { ServerId = "s1" };

    [Fact]
    public async Task It_applies_each_version_once_from_the_networks_shared_topic_or_its_own()
    {
        var store = JoinedStore();
        var v5 = Config(5, [Peer("a", "10.10.0.2")]);
        store.SaveDesired(v5);
        using var cts = new CancellationTokenSource();
        var https = new FakeNodeStateSource(new SigningKeyChainDto(JoinedKey, []), v5);
        var run = Daemon(store, https: https).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the subscriptions", () => _broker.Last?.Subscriptions.Count == 3);
            var client = _broker.Last!;
            var shared = MeshTopics.NetworkUpdates("home");

            // v5->v6 once for the whole network, on its shared topic: applied.
            var b = Peer("b", "10.10.0.3");
            Assert.True(client.Deliver(shared, Signed(NetworkDelta(5, 6, ["n9"], upserts: b))));
            // Saved first, then applied: wait for the device.
            await WaitForAsync("the shared delta", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.3/32"]));
            Assert.Equal(6, store.LoadDesired()!.Version);

            // v6->v7: this node's own settings changed, so the shared message names it in Except and its own delta
            // comes on its topic. The shared one is skipped (not applied, not a rejection), the own one applied.
            var v6 = store.LoadDesired()!;
            var c = Peer("c", "10.10.0.4");
            Assert.True(client.Deliver(shared, Signed(NetworkDelta(6, 7, ["n1"], upserts: c))));
            var v7 = v6 with { Version = 7, Peers = [.. v6.Peers, c], Interface = v6.Interface with { ListenPort = 51999 } };
            Assert.True(client.Deliver(MeshTopics.Updates("n1"), Signed(MeshDelta.Compute(v6, v7, default) with { ServerId = "s1" })));
            await WaitForAsync("its own delta", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.3/32", "10.10.0.4/32"]));
            Assert.Equal((7L, 51999), (store.LoadDesired()!.Version, store.LoadDesired()!.Interface.ListenPort));
            Assert.False(Logged("rejected a message"), _log.ToString());

            // The same shared message again, and one for another network, change nothing; the latter is rejected.
            Assert.True(client.Deliver(shared, Signed(NetworkDelta(6, 7, ["n1"], upserts: c))));
            Assert.True(client.Deliver(shared, Signed(NetworkDelta(7, 8, [], network: "work", upserts: Peer("d", "10.10.0.5")))));
            await WaitForAsync("the rejection", () => Logged("rejected a message (1 so far): a network delta for another network"));
            Assert.Equal(7, store.LoadDesired()!.Version);
            // A topic of another network was never subscribed to.
            Assert.False(client.Deliver(MeshTopics.NetworkUpdates("work"), Signed(NetworkDelta(7, 8, [], network: "work"))));
        }
        finally
        {
            await StopAsync(cts, run);
        }
    }

    [Fact]
    public async Task A_broker_that_refuses_the_shared_topic_leaves_it_on_its_own_topic_and_the_server_is_told()
    {
        _broker.RefusedFilters.Add(MeshTopics.NetworkUpdates("home"));
        var store = JoinedStore();
        using var cts = new CancellationTokenSource();
        var run = Daemon(store).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the resync request", () => _broker.Last?.Published.Count(p => p.Topic == MeshTopics.Resync("n1")) >= 2);
            var client = _broker.Last!;
            Assert.Equal([MeshTopics.Updates("n1"), MeshTopics.Commands("n1")], client.Subscriptions);
            Assert.True(Logged("the broker refused the network's shared topic appliance/v1/net/home/mesh"), _log.ToString());
            // No state held yet, and no shared topic: a plain request for a snapshot on its own topic.
            Assert.Equal("{\"networkTopic\":false}", client.Published.Last(p => p.Topic == MeshTopics.Resync("n1")).Text);
        }
        finally
        {
            await StopAsync(cts, run);
        }
    }

    [Fact]
    public async Task A_gateway_firewall_removed_by_other_software_is_put_back_within_the_check_interval()
    {
        _broker.Reachable = false;
        var store = JoinedStore();
        var egress = new GatewayRoleDto { Egress = new EgressRoleDto { Ranges = ["192.168.1.0/24"] }, MeshRanges = ["10.10.0.0/24"] };
        store.SaveDesired(Config(5, [Peer("a", "10.10.0.2")]) with { Gateway = egress });
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
        int Checks() => runner.Commands.ToArray().Count(c => c.Line == "nft list tables");
        await using var roles = new Gateway.GatewayRoles(_dir.Combine("state"), "nftables", Log, runner, new FakeSysctl());
        using var cts = new CancellationTokenSource();
        var run = Daemon(store, roles, firewallRepair: TimeSpan.FromSeconds(5)).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the gateway rules", () => Loads() == 1);
            // Checked and intact at the interval of the daemon's clock: read back, not loaded again.
            var checks = Checks();
            await WaitForAsync("a check of the intact rules", () => Checks() > checks, () => _clock.Advance(TimeSpan.FromSeconds(5)));
            Assert.Equal(1, Loads());

            Volatile.Write(ref tablePresent, false); // `nft flush ruleset`, an fw4 reload...
            await WaitForAsync("the rules put back", () => Loads() == 2, () => _clock.Advance(TimeSpan.FromSeconds(5)));
            Assert.True(Logged("rules were gone"), _log.ToString());
            Assert.Contains("192.168.1.0/24", runner.Commands.ToArray().Last(c => c.Line == "nft -f -").Stdin, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(cts, run);
        }
    }

    [Fact]
    public async Task A_desired_state_that_repeats_a_peer_is_applied_without_the_repeat_which_is_logged()
    {
        _broker.Reachable = false;
        var store = JoinedStore();
        var twice = Peer("a", "10.10.0.2");
        store.SaveDesired(Config(5, [twice, Peer("b", "10.10.0.3"), twice with { NodeId = "c", Name = "c", AllowedIps = ["10.10.0.4/32"] }]));
        using var cts = new CancellationTokenSource();
        var run = Daemon(store).RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the restored state", () => PeerAddresses().SequenceEqual(["10.10.0.2/32", "10.10.0.3/32"]));
            await WaitForAsync("the skip in the log", () => Logged("skipped peer node 'c' (c): it repeats public key"));
            Assert.False(Logged("could not apply"), _log.ToString());
        }
        finally
        {
            await StopAsync(cts, run);
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
