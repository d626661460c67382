using System.Text.Json;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>
/// The daemon end to end for access policies (issue #19), over the fake broker, WireGuard, netlink and nft runner:
/// a filter in a signed delta is applied to the firewall, a bad one is refused with the previous one kept, a lifted
/// one removes our table, and a restart with the broker down puts the saved filter back.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshDaemonFilterTests : IDisposable
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();

    private readonly TempDirectory _dir = new("appliance-daemon-filter");
    private readonly FakeWireGuardBackend _wg = new();
    private readonly FakeRouteNetlink _route = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeMqttClientFactory _broker = new();
    private readonly StringWriter _log = new();

    public MeshDaemonFilterTests() => _route.CreateLink("appliance0", "wireguard");

    public void Dispose() => _dir.Dispose();

    private static readonly MeshFilterDto Printer = new() { Inbound = [new(["10.10.0.3"], [], FilterRuleDto.Tcp, 631, 631)] };

    private static NodeConfigDto Config(long version, MeshFilterDto? filter = null) =>
        new("n1", "dev", version, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420),
            [new PeerDto("a", "a", X25519.GenerateKeyPair().PublicKey.ToString(), ["10.10.0.2/32"], null, [], 25)],
            Epoch: "e1", ServerId: "s1", Filter: filter);

    private static byte[] Signed(MeshUpdate u) => SignedEnvelope.Seal(ServerKey, JsonSerializer.SerializeToUtf8Bytes(u, ApplianceJsonContext.Default.MeshUpdate));

    private Task WaitForAsync(string what, Func<bool> condition) =>
        Wait.UntilAsync(condition, what, () => { }, detail: () => _log.ToString());

    private StateStore JoinedStore()
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = "mqtt://broker.invalid:1883",
            SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(ServerKey)),
        });
        return store;
    }

    private MeshDaemon Daemon(StateStore store, IGatewayRoles roles) =>
        new(store, new MeshApplier(_wg, _route, _dir.Combine("hosts"), roles, _clock), TextWriter.Synchronized(_log), _clock, _broker)
        {
            FirewallRepairInterval = TimeSpan.Zero,
        };

    [Fact]
    public async Task A_filter_in_a_signed_update_is_enforced_a_bad_one_refused_a_lifted_one_removed_and_a_restart_restores_it()
    {
        var store = JoinedStore();
        var v5 = Config(5);
        store.SaveDesired(v5);
        var runner = new FakeCommandRunner();
        string[] Loads() => [.. runner.Commands.ToArray().Where(c => c.Line == "nft -f -").Select(c => c.Stdin!)];
        await using (var roles = new Gateway.GatewayRoles(store.Directory, "nftables", TextWriter.Synchronized(_log), runner, new FakeSysctl()))
        {
            using var cts = new CancellationTokenSource();
            var run = Daemon(store, roles).RunAsync(cts.Token);
            try
            {
                await WaitForAsync("the subscription", () => _broker.Last?.Subscriptions.Contains(MeshTopics.Updates("n1")) == true);
                Assert.Empty(Loads()); // no policy: no firewall command at all on a plain node
                var client = _broker.Last!;

                var v6 = Config(6, Printer);
                Assert.True(client.Deliver(MeshTopics.Updates("n1"), Signed(MeshDelta.Compute(v5, v6, _clock.GetUtcNow()) with { Filter = Printer })));
                await WaitForAsync("the filter", () => Loads().Length == 1);
                Assert.Contains("ip saddr @in0_src_v4 ip daddr @self_v4 tcp dport 631 accept", Loads()[0], StringComparison.Ordinal);
                await WaitForAsync("the saved state", () => store.LoadDesired()!.Version == 6);
                Assert.Equal(["10.10.0.3"], store.LoadDesired()!.Filter!.Inbound[0].Sources);

                // A filter this node cannot enforce: refused whole, the printer filter stays (nothing reloaded).
                var bad = new MeshFilterDto { Inbound = [new(["10.10.0.3"], [], "sctp")] };
                Assert.True(client.Deliver(MeshTopics.Updates("n1"), Signed(MeshDelta.Compute(v6, Config(7), _clock.GetUtcNow()) with { Filter = bad })));
                await WaitForAsync("the refusal", () => _log.ToString().Contains("refused the access-policy filter of v7: gateway spec: filter.inbound[0].protocol 'sctp'", StringComparison.Ordinal));
                await WaitForAsync("v7 saved", () => store.LoadDesired()!.Version == 7);
                Assert.Equal(FilterRuleDto.Tcp, store.LoadDesired()!.Filter!.Inbound[0].Protocol);
                Assert.Single(Loads());

                // The policy is lifted: our table goes.
                Assert.True(client.Deliver(MeshTopics.Updates("n1"), Signed(MeshDelta.Compute(Config(7), Config(8), _clock.GetUtcNow()) with { Filter = MeshFilterDto.None })));
                await WaitForAsync("the removal", () => Loads().Length == 2);
                Assert.Equal("table inet appliance\ndelete table inet appliance\n", Loads()[1]);
                await WaitForAsync("v8 saved", () => store.LoadDesired()!.Version == 8);
                Assert.Null(store.LoadDesired()!.Filter);

                // And back, for the restart below.
                Assert.True(client.Deliver(MeshTopics.Updates("n1"), Signed(MeshDelta.Compute(Config(8), Config(9), _clock.GetUtcNow()) with { Filter = Printer })));
                await WaitForAsync("the filter again", () => Loads().Length == 3);
                await WaitForAsync("v9 saved", () => store.LoadDesired()!.Version == 9);
            }
            finally
            {
                await cts.CancelAsync();
                Assert.Equal(0, await run);
            }
        }

        // A reboot with the server down: the saved filter is enforced before anything is heard from the server.
        _broker.Reachable = false;
        var after = new FakeCommandRunner();
        await using var again = new Gateway.GatewayRoles(store.Directory, "nftables", TextWriter.Synchronized(_log), after, new FakeSysctl());
        using var stop = new CancellationTokenSource();
        var restarted = Daemon(store, again).RunAsync(stop.Token);
        try
        {
            await WaitForAsync("the restored filter", () => after.Commands.ToArray().Any(c => c.Line == "nft -f -"));
            Assert.Contains("tcp dport 631 accept", after.Commands.ToArray().First(c => c.Line == "nft -f -").Stdin, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await restarted);
        }
    }
}
