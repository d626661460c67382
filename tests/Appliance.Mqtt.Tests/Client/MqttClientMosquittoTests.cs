using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Client;

/// <summary>Our client against a real Mosquitto started by each test on an ephemeral loopback port.</summary>
public sealed class MqttClientMosquittoTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new("mqtt-client");
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var o in Enumerable.Reverse(_owned))
        {
            await o.DisposeAsync();
        }
        _dir.Dispose();
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Publish_and_receive_qos0_and_qos1_with_wildcards()
    {
        var broker = await StartMosquittoAsync("allow_anonymous true\n");
        var sub = Own(NewClient(broker.Port, "sub"));
        await sub.ConnectAsync();
        var codes = await sub.SubscribeAsync([new MqttTopicFilter("t/+/x", MqttQos.AtLeastOnce), new MqttTopicFilter("w/#", MqttQos.AtMostOnce)]);
        Assert.Equal(new byte[] { 1, 0 }, codes);

        var pub = Own(NewClient(broker.Port, "pub"));
        await pub.ConnectAsync();
        await pub.PublishAsync("t/a/x", "one", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait);
        await pub.PublishAsync("w/deep/er", "two");
        await pub.PublishAsync("t/a/y", "not matched");
        await pub.PublishAsync("t/b/x", "three", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait);

        var got = new[] { await NextAsync(sub), await NextAsync(sub), await NextAsync(sub) };
        Assert.Equal(["t/a/x=one", "t/b/x=three", "w/deep/er=two"], got.Select(m => $"{m.Topic}={Encoding.UTF8.GetString(m.Payload.Span)}").Order());
        Assert.Equal(MqttQos.AtLeastOnce, got.Single(m => m.Topic == "t/a/x").Qos);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Mqtt5_user_properties_and_retained_messages_arrive()
    {
        var broker = await StartMosquittoAsync("allow_anonymous true\n");
        var pub = Own(NewClient(broker.Port, "pub5", MqttProtocolVersion.V500));
        await pub.ConnectAsync();
        var props = new MqttProperties { UserProperties = [new("node", "n1")], MessageExpiryInterval = 300 };
        await pub.PublishAsync("r/cfg", Encoding.UTF8.GetBytes("v1"), MqttQos.AtLeastOnce, retain: true, props).AsTask().WaitAsync(Wait);

        var sub = Own(NewClient(broker.Port, "sub5", MqttProtocolVersion.V500));
        await sub.ConnectAsync();
        await sub.SubscribeAsync("r/#");
        var m = await NextAsync(sub);
        Assert.True(m.Retain);
        Assert.Equal("v1", Encoding.UTF8.GetString(m.Payload.Span));
        Assert.Equal(new MqttUserProperty("node", "n1"), Assert.Single(m.Properties!.UserProperties!));
        Assert.InRange(m.Properties.MessageExpiryInterval!.Value, 290u, 300u);
    }

    [Theory]
    [Trait("Category", TestCategories.Interop)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Burst_of_qos1_publishes_respects_the_broker_receive_maximum(MqttProtocolVersion version)
    {
        var broker = await StartMosquittoAsync("allow_anonymous true\nmax_inflight_messages 10\n");
        var sub = Own(NewClient(broker.Port, "burst-sub", version));
        await sub.ConnectAsync();
        await sub.SubscribeAsync("burst/#", MqttQos.AtLeastOnce);
        var pub = Own(NewClient(broker.Port, "burst-pub", version));
        await pub.ConnectAsync();
        var sends = Enumerable.Range(0, 200).Select(i => pub.PublishAsync($"burst/{i}", "x", MqttQos.AtLeastOnce).AsTask()).ToArray();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 200; i++)
        {
            await NextAsync(sub);
        }
        Assert.Equal(0, pub.ReconnectCount);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Tls_with_private_ca_and_with_pinned_fingerprint()
    {
        using var ca = new TestCertificateAuthority();
        using var server = ca.IssueServerCertificate();
        TestCertificateAuthority.WritePem(_dir.Path, ca.Certificate, server);
        var port = Binaries.FreeTcpPort();
        var broker = Own(await MosquittoProcess.StartAsync(_dir.Path, port,
            $"listener {port} 127.0.0.1\nallow_anonymous true\ncafile {_dir.Combine("ca.crt")}\ncertfile {_dir.Combine("server.crt")}\nkeyfile {_dir.Combine("server.key")}\n"));

        // Private CA, name checked.
        var byCa = Own(NewClient(port, "tls-ca", tls: new MqttTlsOptions { TargetHost = "localhost", TrustedRoots = [ca.Certificate] }));
        await byCa.ConnectAsync();
        await byCa.SubscribeAsync("s/1");
        await byCa.PublishAsync("s/1", "secure", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait);
        Assert.Equal("secure", Encoding.UTF8.GetString((await NextAsync(byCa)).Payload.Span));

        // Pinned SHA-256 of the server certificate: no CA needed.
        var pin = string.Join(':', Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(server.RawData)).Chunk(2).Select(c => new string(c)));
        var byPin = Own(NewClient(port, "tls-pin", tls: new MqttTlsOptions { PinnedSha256 = pin.ToLowerInvariant() }));
        await byPin.ConnectAsync();
        Assert.True(byPin.IsConnected);

        // Wrong pin, and no trust at all: refused during the handshake.
        var wrongPin = Own(NewClient(port, "tls-bad", tls: new MqttTlsOptions { PinnedSha256 = new string('A', 64) }));
        await Assert.ThrowsAsync<AuthenticationException>(() => wrongPin.ConnectAsync());
        var untrusted = Own(NewClient(port, "tls-none", tls: new MqttTlsOptions { TargetHost = "localhost" }));
        await Assert.ThrowsAsync<AuthenticationException>(() => untrusted.ConnectAsync());

        // The right CA but the wrong name.
        var wrongName = Own(NewClient(port, "tls-name", tls: new MqttTlsOptions { TargetHost = "other.example", TrustedRoots = [ca.Certificate] }));
        await Assert.ThrowsAsync<AuthenticationException>(() => wrongName.ConnectAsync());
        Assert.NotNull(broker);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Reconnects_after_broker_is_killed_resubscribes_and_sends_what_was_published_while_down()
    {
        // The QoS 1 message here never reached the wire before the reconnect, so it goes out once without DUP;
        // resending with DUP after a lost PUBACK is covered against the scripted broker in MqttClientFakeTransportTests.
        var broker = await StartMosquittoAsync("allow_anonymous true\n");
        var client = Own(NewClient(broker.Port, "roamer"));
        var changes = new List<bool>();
        client.ConnectionChanged += up => { lock (changes) { changes.Add(up); } };
        await client.ConnectAsync();
        await client.SubscribeAsync("loop/#");

        broker.Kill();
        await Appliance.TestSupport.Wait.UntilAsync(() => !client.IsConnected, "the client to see the broker go");

        // Published while the broker is down: QoS 1 waits in flight, QoS 0 waits in the offline queue.
        var acked = client.PublishAsync("loop/q1", "kept", MqttQos.AtLeastOnce).AsTask();
        await client.PublishAsync("loop/q0", "queued");
        Assert.False(acked.IsCompleted);

        await broker.RestartAsync();
        await acked.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(client.ReconnectCount >= 1);
        var got = new[] { await NextAsync(client), await NextAsync(client) }.Select(m => m.Topic).Order().ToArray();
        Assert.Equal(["loop/q0", "loop/q1"], got);
        lock (changes)
        {
            Assert.Equal([true, false, true], changes.Take(3));
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Persistent_session_gets_qos1_messages_sent_while_offline()
    {
        var broker = await StartMosquittoAsync("allow_anonymous true\n");
        var options = Options(broker.Port, "sleeper");
        options.CleanSession = false;
        var first = new MqttClient(options);
        Assert.False(await first.ConnectAsync());
        await first.SubscribeAsync("mail/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();

        var pub = Own(NewClient(broker.Port, "sender"));
        await pub.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            await pub.PublishAsync($"mail/{i}", $"m{i}", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait);
        }

        var again = Own(new MqttClient(options));
        Assert.True(await again.ConnectAsync());
        var got = new[] { await NextAsync(again), await NextAsync(again), await NextAsync(again) };
        Assert.Equal(["mail/0", "mail/1", "mail/2"], got.Select(m => m.Topic));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Will_is_published_when_the_client_vanishes_but_not_after_disconnect()
    {
        var broker = await StartMosquittoAsync("allow_anonymous true\n");
        var watcher = Own(NewClient(broker.Port, "watcher"));
        await watcher.ConnectAsync();
        await watcher.SubscribeAsync("status/#");

        var polite = Options(broker.Port, "polite");
        polite.Will = new MqttWill { Topic = "status/polite", Payload = "gone"u8.ToArray() };
        var p = new MqttClient(polite);
        await p.ConnectAsync();
        await p.DisconnectAsync();
        await p.DisposeAsync();

        var rude = Options(broker.Port, "rude");
        rude.Will = new MqttWill { Topic = "status/rude", Payload = "gone"u8.ToArray(), Qos = MqttQos.AtLeastOnce };
        var r = new MqttClient(rude);
        await r.ConnectAsync();
        await r.DisposeAsync(); // closes the socket without DISCONNECT

        var m = await NextAsync(watcher);
        Assert.Equal("status/rude", m.Topic);
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Refused_credentials_raise_connect_exception()
    {
        File.WriteAllText(_dir.Combine("passwd"), "");
        var broker = await StartMosquittoAsync($"allow_anonymous false\npassword_file {_dir.Combine("passwd")}\n");
        var options = Options(broker.Port, "intruder");
        options.UserName = "nobody";
        options.Password = "x";
        var c = Own(new MqttClient(options));
        var e = await Assert.ThrowsAsync<MqttConnectException>(() => c.ConnectAsync());
        Assert.Equal((byte)MqttConnectReturnCode.NotAuthorized, e.ReasonCode);
    }

    private async Task<MosquittoProcess> StartMosquittoAsync(string extra)
    {
        var port = Binaries.FreeTcpPort();
        return Own(await MosquittoProcess.StartAsync(_dir.Path, port, $"listener {port} 127.0.0.1\npersistence false\n{extra}"));
    }

    private static MqttClientOptions Options(int port, string id, MqttProtocolVersion version = MqttProtocolVersion.V311, MqttTlsOptions? tls = null) => new()
    {
        Port = port,
        ClientId = id,
        ProtocolVersion = version,
        Tls = tls,
        KeepAliveSeconds = 5,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    private static MqttClient NewClient(int port, string id, MqttProtocolVersion version = MqttProtocolVersion.V311, MqttTlsOptions? tls = null)
        => new(Options(port, id, version, tls));

    private T Own<T>(T item)
        where T : IAsyncDisposable
    {
        _owned.Add(item);
        return item;
    }

    private static async Task<MqttReceivedMessage> NextAsync(MqttClient client)
    {
        using var cts = new CancellationTokenSource(Wait);
        return await client.Messages.ReadAsync(cts.Token);
    }
}
