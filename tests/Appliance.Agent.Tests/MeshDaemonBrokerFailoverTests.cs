using Appliance.Agent;
using Appliance.Agent.Mesh;
using Appliance.Agent.State;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>
/// The brokers of a cluster from the join answer reach the agent's MQTT client in order, so the client fails over
/// to the next one when its broker is gone; bad URLs stop the agent with a message naming them.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshDaemonBrokerFailoverTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-failover");

    public void Dispose() => _dir.Dispose();

    private static AgentState Joined(string first, params string[] cluster) => JoinCommandTests.SampleState() with
    {
        MqttUrl = first,
        MqttUrls = cluster.Length == 0 ? null : cluster,
        SigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(Ed25519.GeneratePrivateKey())),
    };

    [Fact]
    public void The_cluster_brokers_follow_the_first_in_the_join_order()
    {
        var options = MeshDaemon.ClientOptions(Joined("mqtt://b1.example:1883", "mqtt://b1.example:1883", "mqtt://b2.example:1884", "mqtt://[fd00::3]"));
        Assert.Equal(("b1.example", 1883), (options.Host, options.Port));
        Assert.Equal([new MqttBrokerAddress("b2.example", 1884), new MqttBrokerAddress("fd00::3", 1883)], options.FailoverBrokers);
        Assert.False(options.CleanSession);
        Assert.True(options.AutoReconnect);
    }

    [Fact]
    public void A_single_broker_has_no_failover_and_an_older_state_still_works()
    {
        var options = MeshDaemon.ClientOptions(Joined("mqtt://broker.example"));
        Assert.Equal(("broker.example", 1883), (options.Host, options.Port));
        Assert.Empty(options.FailoverBrokers);
    }

    [Fact]
    public void A_tls_cluster_checks_each_broker_against_its_own_host()
    {
        using var ca = new TestCertificateAuthority();
        var state = Joined("mqtts://b1.example:8883", "mqtts://b1.example:8883", "mqtts://b2.example:8883") with { CaPem = ca.Certificate.ExportCertificatePem() };
        var options = MeshDaemon.ClientOptions(state);
        Assert.NotNull(options.Tls);
        Assert.Null(options.Tls!.TargetHost);
        Assert.Single(options.Tls.TrustedRoots!);
        Assert.Equal("b2.example", Assert.Single(options.FailoverBrokers).Host);
    }

    [Theory]
    [InlineData("not a url", "'not a url'")]
    [InlineData("http://b2.example:80", "'http://b2.example:80'")]
    [InlineData("mqtts://b2.example:8883", "mixes TLS and plain MQTT")]
    public void A_bad_cluster_url_stops_the_agent_naming_it(string bad, string named)
    {
        var e = Assert.Throws<AgentException>(() => MeshDaemon.ClientOptions(Joined("mqtt://b1.example:1883", "mqtt://b1.example:1883", bad)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_list_is_bounded()
    {
        var many = Enumerable.Range(1, 40).Select(i => $"mqtt://b{i}.example:1883").ToArray();
        var options = MeshDaemon.ClientOptions(Joined(many[0], many));
        Assert.Equal(MeshDaemon.MaxBrokers - 1, options.FailoverBrokers.Count);
    }

    [Fact]
    public async Task The_daemon_hands_its_client_every_broker_of_the_cluster()
    {
        var clients = new FakeMqttClientFactory();
        var store = new StateStore(_dir.Combine("state"));
        store.SaveState(Joined("mqtt://b1.example:1883", "mqtt://b1.example:1883", "mqtt://b2.example:1883"));
        var route = new FakeRouteNetlink();
        route.CreateLink("appliance0", "wireguard");
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var daemon = new MeshDaemon(store, new MeshApplier(new FakeWireGuardBackend(), route, _dir.Combine("hosts"), null, clock), TextWriter.Null, clock, clients);
        using var cts = new CancellationTokenSource();
        var run = daemon.RunAsync(cts.Token);
        try
        {
            await Wait.UntilAsync(() => clients.Last is { IsConnected: true }, "the daemon connects");
            var options = clients.Last!.Options;
            Assert.Equal("b1.example", options.Host);
            Assert.Equal([new MqttBrokerAddress("b2.example", 1883)], options.FailoverBrokers);
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
        }
    }
}
