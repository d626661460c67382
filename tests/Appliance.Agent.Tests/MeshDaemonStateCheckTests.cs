using System.Text.Json;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>
/// The daemon connected to a broker (a Mosquitto of its own on loopback) that brings nothing: after the quiet time
/// (fake clock) it checks over HTTPS (a fake source), follows the signing-key chain from the key it holds, keeps the
/// new key in state.json, takes the pulled state of a new epoch although its version is lower, and from then on
/// applies updates signed by the new key. In-memory WireGuard and rtnetlink.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class MeshDaemonStateCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-daemon-check");
    private readonly FakeWireGuardBackend _wg = new();
    private readonly FakeRouteNetlink _route = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => _dir.Dispose();

    private static PeerDto Peer(string id, string address) =>
        new(id, id, X25519.GenerateKeyPair().PublicKey.ToString(), [address + "/32"], null, [], 25);

    private static NodeConfigDto Config(long version, string epoch, params PeerDto[] peers) =>
        new("n1", "dev", version, new NodeInterfaceDto("home", ["10.10.0.1/24"], 51821, 1420), peers, Epoch: epoch, ServerId: "s1");

    private IReadOnlyList<string> PeerAddresses() =>
        [.. (_wg.TryGet("appliance0")?.Peers ?? []).SelectMany(p => p.AllowedIPs).Select(a => a.ToString()).Order()];

    private static Task WaitForAsync(string what, Func<bool> condition, StringWriter log, Action? step = null) =>
        Wait.UntilAsync(condition, what, step ?? (() => { }), detail: log.ToString);

    [Fact]
    public async Task A_quiet_connected_daemon_checks_over_https_follows_the_key_chain_and_takes_a_new_epoch()
    {
        var oldKey = Ed25519.GeneratePrivateKey();
        var newKey = Ed25519.GeneratePrivateKey();
        var port = Binaries.FreeTcpPort();
        await using var broker = await MosquittoProcess.StartAsync(_dir.Path, port, $"listener {port} 127.0.0.1\nallow_anonymous true\n");
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = $"mqtt://127.0.0.1:{port}",
            SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(oldKey)),
        });
        store.SaveDesired(Config(9, "e1", Peer("a", "10.10.0.2")));
        _route.CreateLink("appliance0", "wireguard");

        // The server rotated its key while this node was away, and its network was made again (epoch e2, version 2).
        var announcement = SignedEnvelope.Seal(oldKey, JsonSerializer.SerializeToUtf8Bytes(new MeshUpdate
        {
            Kind = MeshUpdate.SigningKeyKind, NodeId = MeshUpdate.AnyMember, Name = string.Empty, ToVersion = 0, ServerId = "s1",
            NextSigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(newKey)),
        }, ApplianceJsonContext.Default.MeshUpdate));
        var pulled = Config(2, "e2", Peer("b", "10.10.0.3"));
        var source = new FakeNodeStateSource(new SigningKeyChainDto(Convert.ToBase64String(Ed25519.PublicKeyOf(newKey)), [Convert.ToBase64String(announcement)]), pulled);

        var log = new StringWriter();
        var daemon = new MeshDaemon(store, new MeshApplier(_wg, _route, _dir.Combine("hosts")), TextWriter.Synchronized(log), _clock)
        {
            StateCheckAfter = TimeSpan.FromMinutes(10),
            StateSource = _ => source,
        };
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await WaitForAsync("the restored state and the broker", () => PeerAddresses().SequenceEqual(["10.10.0.2/32"]) && log.ToString().Contains("connected to the broker", StringComparison.Ordinal), log);
            Assert.Equal(0, source.Checks);
            await WaitForAsync("the check over HTTPS", () => log.ToString().Contains("checked over HTTPS", StringComparison.Ordinal), log, () => _clock.Advance(TimeSpan.FromSeconds(5)));
            Assert.Equal(1, source.Checks);
            Assert.Equal(["10.10.0.3/32"], PeerAddresses());
            Assert.Equal(("e2", 2L), (store.LoadDesired()!.Epoch, store.LoadDesired()!.Version));
            Assert.Equal(Convert.ToBase64String(Ed25519.PublicKeyOf(newKey)), store.LoadState()!.SigningKey);

            // An update signed by the new key now applies (one signed by the old key would not).
            await using var server = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "server", AutoReconnect = false });
            await server.ConnectAsync();
            var delta = MeshDelta.Compute(pulled, Config(3, "e2", Peer("b", "10.10.0.3"), Peer("c", "10.10.0.4")), DateTimeOffset.UtcNow);
            await server.PublishAsync("appliance/v1/node/n1/mesh", SignedEnvelope.Seal(oldKey, JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate)), MqttQos.AtLeastOnce);
            await server.PublishAsync("appliance/v1/node/n1/mesh", SignedEnvelope.Seal(newKey, JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate)), MqttQos.AtLeastOnce);
            await WaitForAsync("the delta signed by the new key", () => PeerAddresses().SequenceEqual(["10.10.0.3/32", "10.10.0.4/32"]), log);
            Assert.Contains("rejected a message (1 so far): bad signature", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
