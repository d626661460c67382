using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;

namespace Appliance.Broker.Tests;

/// <summary>An embedded broker on an ephemeral loopback port with test users, plus clients it disposes.</summary>
internal sealed class BrokerHost : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly List<IAsyncDisposable> _owned = [];

    private BrokerHost(MqttBroker broker, InMemoryMqttAuthenticator auth)
    {
        Broker = broker;
        Auth = auth;
    }

    public MqttBroker Broker { get; }

    public InMemoryMqttAuthenticator Auth { get; }

    public ConcurrentQueue<string> Log { get; } = new();

    public int Port => Broker.BoundEndpoints[0].Port;

    public static async Task<BrokerHost> StartAsync(Action<MqttBrokerOptions>? configure = null, X509Certificate2? tlsCertificate = null)
    {
        var options = new MqttBrokerOptions { HousekeepingInterval = TimeSpan.FromMilliseconds(200) };
        options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(IPAddress.Loopback, 0)));
        if (tlsCertificate is not null)
        {
            options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(IPAddress.Loopback, 0), tlsCertificate));
        }
        configure?.Invoke(options);
        var auth = new InMemoryMqttAuthenticator();
        auth.Set("server", "server-secret", MqttTopicAcl.AllowAll);
        auth.Set("n1", "n1-secret", MeshAcls.Node("n1", "lab"));
        auth.Set("n2", "n2-secret", MeshAcls.Node("n2", "lab"));
        var host = new BrokerHost(new MqttBroker(options, auth), auth);
        options.Log = (level, line) => host.Log.Enqueue($"{level}: {line}");
        await host.Broker.StartAsync(CancellationToken.None);
        return host;
    }

    public MqttClientOptions Options(string clientId, string user = "server", string? password = null, MqttProtocolVersion version = MqttProtocolVersion.V311) => new()
    {
        Port = Port,
        ClientId = clientId,
        UserName = user,
        Password = password ?? user + "-secret",
        ProtocolVersion = version,
        KeepAliveSeconds = 10,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
    };

    /// <summary>A client of the TLS listener (started with <c>tlsCertificate</c>) that pins <paramref name="certificate"/>.</summary>
    public MqttClientOptions TlsOptions(string clientId, X509Certificate2 certificate)
    {
        var options = Options(clientId);
        options.Port = Broker.BoundEndpoints[1].Port;
        options.Tls = new Appliance.Mqtt.Transport.MqttTlsOptions { PinnedSha256 = Appliance.Mqtt.Transport.MqttCertificatePin.Sha256Hex(certificate) };
        return options;
    }

    public MqttClient Own(MqttClient client)
    {
        _owned.Add(client);
        return client;
    }

    public async Task<MqttClient> ConnectAsync(string clientId, string user = "server", MqttProtocolVersion version = MqttProtocolVersion.V311, Action<MqttClientOptions>? configure = null)
    {
        var options = Options(clientId, user, version: version);
        configure?.Invoke(options);
        var c = Own(new MqttClient(options));
        await c.ConnectAsync().WaitAsync(Wait);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var o in Enumerable.Reverse(_owned))
        {
            await o.DisposeAsync();
        }
        await Broker.DisposeAsync();
    }

    public static async Task<MqttReceivedMessage> NextAsync(MqttClient client, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? Wait);
        return await client.Messages.ReadAsync(cts.Token);
    }

    /// <summary>
    /// Proves nothing else is on its way to <paramref name="client"/> by order instead of a quiet period: the broker
    /// publishes a marker on <paramref name="markerTopic"/> (the client must be subscribed to it and allowed to read
    /// it), and the marker must be the next message, since anything routed to the client before it arrives first.
    /// </summary>
    public async Task AssertNothingBeforeMarkerAsync(MqttClient client, string markerTopic)
    {
        Broker.Publish(markerTopic, "marker"u8.ToArray(), MqttQos.AtLeastOnce);
        var m = await NextAsync(client);
        Assert.True(m.Topic == markerTopic && m.Payload.Span.SequenceEqual("marker"u8), $"unexpected message on {m.Topic} before the marker");
    }

    /// <summary>
    /// Asserts nothing arrives within a short quiet period, for a broker this process cannot publish a marker
    /// through (Mosquitto); 300 ms is ample for a loopback delivery that was already routed.
    /// </summary>
    public static async Task AssertNothingAsync(MqttClient client, int quietMs = 300)
    {
        await Task.Delay(quietMs);
        Assert.False(client.Messages.TryRead(out var m), m is null ? "" : $"unexpected message on {m.Topic}");
    }
}
