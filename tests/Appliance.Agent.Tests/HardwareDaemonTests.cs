using System.Text.Json;
using Appliance.Agent.Hardware;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Hardware.Button;
using Appliance.Hardware.Led;
using Appliance.Hardware.Watchdog;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>
/// The daemon drives the status hardware (issue #17): its LED follows the broker connection and applies, a signed
/// identify command blinks it, a forged or replayed one does not; the daemon's loops feed the watchdog.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class HardwareDaemonTests : IDisposable
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();
    private static readonly string JoinedKey = Convert.ToBase64String(Ed25519.PublicKeyOf(ServerKey));

    private readonly TempDirectory _dir = new("appliance-hw-daemon");
    private readonly FakeWireGuardBackend _wg = new();
    private readonly FakeRouteNetlink _route = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeMqttClientFactory _broker = new();
    private readonly StringWriter _log = new();
    private readonly FakeLedDevice _led = new();

    public HardwareDaemonTests() => _route.CreateLink("appliance0", "wireguard");

    public void Dispose() => _dir.Dispose();

    private StateStore JoinedStore()
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with { MqttUrl = "mqtt://broker.invalid:1883", SigningKey = JoinedKey });
        return store;
    }

    private static byte[] Command(byte[] key, string node = "n1", int seconds = 30, DateTimeOffset? at = null, string id = "c0ffee", string kind = NodeCommand.IdentifyKind) =>
        SignedEnvelope.Seal(key, JsonSerializer.SerializeToUtf8Bytes(new NodeCommand
        {
            Kind = kind, NodeId = node, Seconds = seconds, IssuedAt = at ?? new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), Id = id,
        }, ApplianceJsonContext.Default.NodeCommand));

    [Fact]
    public async Task A_signed_identify_blinks_the_led_and_a_forged_or_replayed_one_does_not()
    {
        var store = JoinedStore();
        await using var hw = new AgentHardware(TextWriter.Synchronized(_log), _clock, _led);
        hw.Update(t => t.Joined = true);
        hw.Start();
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts"), null, _clock), TextWriter.Synchronized(_log), _clock, _broker) { Events = hw, Health = hw.Health };
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await Wait.UntilAsync(() => _broker.Last?.Subscriptions.Contains(MeshTopics.Commands("n1")) == true, "the command subscription", detail: () => _log.ToString());
            await Wait.UntilAsync(() => hw.Shown == StatusLedState.Connected, "connected", detail: () => _log.ToString());
            Assert.Equal("default-on", _led.ActiveTrigger);

            // Forged: signed by a key that is not the server's.
            _broker.Last!.Deliver(MeshTopics.Commands("n1"), Command(Ed25519.GeneratePrivateKey(), id: "forged"));
            // For another node, and unsigned.
            _broker.Last.Deliver(MeshTopics.Commands("n1"), Command(ServerKey, node: "n2", id: "other"));
            _broker.Last.Deliver(MeshTopics.Commands("n1"), "{\"kind\":\"identify\",\"nodeId\":\"n1\",\"seconds\":30}"u8.ToArray());
            // Stale: issued an hour ago.
            _broker.Last.Deliver(MeshTopics.Commands("n1"), Command(ServerKey, at: _clock.GetUtcNow().AddHours(-1), id: "old"));
            await Wait.UntilAsync(() => CountOf("rejected a command") == 4, "four rejections", detail: () => _log.ToString());
            Assert.Equal(StatusLedState.Connected, hw.Shown);
            Assert.Contains("bad signature", _log.ToString(), StringComparison.Ordinal);
            Assert.Contains("another node", _log.ToString(), StringComparison.Ordinal);
            Assert.Contains("stale", _log.ToString(), StringComparison.Ordinal);

            _broker.Last.Deliver(MeshTopics.Commands("n1"), Command(ServerKey, seconds: 30));
            await Wait.UntilAsync(() => hw.Shown == StatusLedState.Identify, "identify", detail: () => _log.ToString());
            Assert.Equal(("timer", "50", "50"), (_led.ActiveTrigger, _led.Attribute("delay_on"), _led.Attribute("delay_off")));

            // 30 s later the LED is back to the status; the same command again is a replay.
            _clock.Advance(TimeSpan.FromSeconds(31));
            await Wait.UntilAsync(() => hw.Shown == StatusLedState.Connected, "back to connected", detail: () => _log.ToString());
            _broker.Last.Deliver(MeshTopics.Commands("n1"), Command(ServerKey, seconds: 30));
            await Wait.UntilAsync(() => CountOf("rejected a command") == 5, "the replay refused", detail: () => _log.ToString());
            Assert.Contains("replayed", _log.ToString(), StringComparison.Ordinal);
            Assert.Equal(StatusLedState.Connected, hw.Shown);

            // The broker goes away with no state applied yet: still booting, not "tunnels up".
            _broker.Last.Drop();
            await Wait.UntilAsync(() => hw.Shown == StatusLedState.Booting, "broker lost without a state", detail: () => _log.ToString());
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    private int CountOf(string text) => _log.ToString().Split(text).Length - 1;

    [Fact]
    public async Task The_daemons_loops_keep_the_watchdog_fed_and_a_stuck_loop_stops_it()
    {
        var store = JoinedStore();
        var dog = new FakeWatchdog(TimeSpan.FromSeconds(30));
        await using var hw = new AgentHardware(TextWriter.Synchronized(_log), _clock, watchdogs: [dog]);
        hw.Start();
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts"), null, _clock), TextWriter.Synchronized(_log), _clock, _broker) { Events = hw, Health = hw.Health };
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await Wait.UntilAsync(() => hw.Tracker.BrokerUp, "connected", detail: () => _log.ToString());
            // Four minutes on the daemon's clock, a second at a time: both loops check in, the watchdog is fed.
            for (var i = 0; i < 240; i++)
            {
                _clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(1);
            }
            await Wait.UntilAsync(() => dog.Feeds >= 20, "fed about every 10 s", detail: () => _log.ToString());
            Assert.True(hw.Health.IsHealthy(out var why), why);

            // A loop of the daemon that never checks in (as a hung apply would leave it): the feeding stops.
            using var stuck = hw.Health.Register("a stuck loop", TimeSpan.FromSeconds(60));
            _clock.Advance(TimeSpan.FromSeconds(61));
            await Wait.UntilAsync(() => _log.ToString().Contains("watchdog: not feeding: a stuck loop", StringComparison.Ordinal), "the feeding to stop", () => _clock.Advance(TimeSpan.FromSeconds(1)));
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
        }
    }

    [Fact]
    public void Short_press_blinks_identify_and_turns_the_page_hold_arms_and_resets()
    {
        var pages = new CountingPages();
        var hw = new AgentHardware(TextWriter.Null, _clock, _led, pages: pages);
        hw.Update(t => (t.Joined, t.BrokerUp, t.LastApplyOk) = (true, true, true));
        var resets = 0;
        hw.FactoryResetRequested += () => resets++;
        hw.OnButton(ButtonAction.Pressed);
        Assert.Equal(StatusLedState.ButtonHeld, hw.Shown);
        hw.OnButton(ButtonAction.ShortPress);
        Assert.Equal((StatusLedState.Identify, 1), (hw.Shown!.Value, pages.Turns));
        _clock.Advance(AgentHardware.PressIdentify);
        Assert.Equal(StatusLedState.Connected, hw.Shown);
        hw.OnButton(ButtonAction.Pressed);
        hw.OnButton(ButtonAction.ResetArmed);
        Assert.Equal(StatusLedState.FactoryResetArmed, hw.Shown);
        Assert.Equal(0, resets);
        hw.OnButton(ButtonAction.FactoryReset);
        Assert.Equal(1, resets);
        hw.OnButton(ButtonAction.Pressed);
        hw.OnButton(ButtonAction.ResetArmed);
        hw.OnButton(ButtonAction.Cancelled);
        Assert.Equal((StatusLedState.Connected, 1), (hw.Shown!.Value, resets));
    }

    private sealed class CountingPages : Appliance.Hardware.IStatusPages
    {
        public int Turns { get; private set; }

        public void NextPage() => Turns++;
    }
}
