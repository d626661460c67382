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

    private IReadOnlyList<string> PeerAddresses() =>
        [.. (_wg.TryGet("appliance0")?.Peers ?? []).SelectMany(p => p.AllowedIPs).Select(a => a.ToString()).Order()];

    [Fact]
    public async Task Without_the_broker_it_applies_pulled_configs_and_expires_ext_clients_on_time()
    {
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(JoinCommandTests.SampleState() with
        {
            MqttUrl = $"mqtt://127.0.0.1:{Binaries.FreeTcpPort()}",
            SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(Ed25519.GeneratePrivateKey())),
        });
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
}
