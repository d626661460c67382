using Appliance.Mqtt.Client;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Client;

/// <summary>The client against a scripted broker over an in-memory transport: no sockets, exact packets.</summary>
public sealed class MqttClientFakeTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_broker_that_never_answers_connect_is_a_timeout_not_a_cancellation()
    {
        // The agent retries a failed connect but stops on cancellation: a slow broker (or a slow start under load)
        // used to surface as TaskCanceledException and end the daemon.
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "silent", KeepAliveSeconds = 0, ConnectTimeout = TimeSpan.FromMilliseconds(200) }, transport);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => client.ConnectAsync().WaitAsync(Wait));
        Assert.Contains("no CONNACK", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, transport.Connects);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Sends_pingreq_when_idle_and_reconnects_when_no_pingresp_comes()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions
        {
            // Keepalive 2 s rather than 1: the fake's PINGRESP gets 2 s to arrive, enough on a loaded CI machine.
            ClientId = "pinger", KeepAliveSeconds = 2, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;

        // Idle for ~1.5 s: the client probes with PINGREQ; the fake answers the first one.
        Assert.IsType<MqttPingReqPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        await Send(first.Stream, MqttPingRespPacket.Instance);

        // The next PINGREQ goes unanswered: after one keepalive the client gives up and reconnects.
        Assert.IsType<MqttPingReqPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        var second = await AcceptAsync(transport);
        Assert.Equal(2, transport.Connects);
        Assert.Equal("pinger", second.Connect.ClientId);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Qos1_publish_completes_on_puback_and_is_resent_with_dup_after_a_drop()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions
        {
            ClientId = "pub", KeepAliveSeconds = 0, ReconnectMinDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;

        var publish = client.PublishAsync("a/b", "x", MqttQos.AtLeastOnce).AsTask();
        var sent = Assert.IsType<MqttPublishPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.False(sent.Duplicate);
        first.Stream.Dispose(); // the broker vanishes before PUBACK

        var second = await AcceptAsync(transport, sessionPresent: true);
        var resent = Assert.IsType<MqttPublishPacket>(await second.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.True(resent.Duplicate);
        Assert.Equal(sent.PacketId, resent.PacketId);
        Assert.False(publish.IsCompleted);
        await Send(second.Stream, new MqttPubAckPacket { PacketId = resent.PacketId });
        await publish.WaitAsync(Wait);
        Assert.Equal(0, client.InflightCount);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task DisposeAsync_fails_unacknowledged_qos1_publishes()
    {
        var transport = new FakeMqttTransport();
        var client = new MqttClient(new MqttClientOptions { ClientId = "dispose", KeepAliveSeconds = 0 }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;

        var publish = client.PublishAsync("a/b", "x", MqttQos.AtLeastOnce).AsTask();
        Assert.IsType<MqttPublishPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        await client.DisposeAsync().AsTask().WaitAsync(Wait);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => publish.WaitAsync(Wait));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PublishAsync("a/b", "late", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task DisconnectAsync_fails_unacknowledged_qos1_publishes()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "disconnect", KeepAliveSeconds = 0 }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;

        var publish = client.PublishAsync("a/b", "x", MqttQos.AtLeastOnce).AsTask();
        Assert.IsType<MqttPublishPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        await client.DisconnectAsync().WaitAsync(Wait);
        await Assert.ThrowsAsync<MqttConnectionLostException>(() => publish.WaitAsync(Wait));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Lost_connection_without_auto_reconnect_fails_pending_and_later_qos1_publishes()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "no-reconnect", KeepAliveSeconds = 0, AutoReconnect = false }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;

        var publish = client.PublishAsync("a/b", "x", MqttQos.AtLeastOnce).AsTask();
        Assert.IsType<MqttPublishPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        first.Stream.Dispose(); // the broker vanishes before PUBACK
        await Assert.ThrowsAsync<MqttConnectionLostException>(() => publish.WaitAsync(Wait));
        await Assert.ThrowsAsync<MqttConnectionLostException>(() => client.PublishAsync("a/b", "after", MqttQos.AtLeastOnce).AsTask().WaitAsync(Wait));
        Assert.Equal(0, client.InflightCount);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Mqtt5_receive_maximum_from_the_broker_limits_unacknowledged_publishes()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "w", KeepAliveSeconds = 0, ProtocolVersion = MqttProtocolVersion.V500 }, transport);
        var connecting = client.ConnectAsync();
        using var cts = new CancellationTokenSource(Wait);
        var server = await transport.ServerEnds.Reader.ReadAsync(cts.Token);
        var reader = new MqttFrameReader(server, 1 << 20, false) { ProtocolVersion = MqttProtocolVersion.V500 };
        Assert.IsType<MqttConnectPacket>(await reader.ReadAsync(cts.Token));
        await MqttFrameWriter.WriteAsync(server, new MqttConnAckPacket { Properties = new MqttProperties { ReceiveMaximum = 2 } }, MqttProtocolVersion.V500, cts.Token);
        await connecting;

        var sends = Enumerable.Range(0, 3).Select(i => client.PublishAsync("t/" + i, "x", MqttQos.AtLeastOnce).AsTask()).ToArray();
        var p0 = Assert.IsType<MqttPublishPacket>(await reader.ReadAsync(cts.Token));
        var p1 = Assert.IsType<MqttPublishPacket>(await reader.ReadAsync(cts.Token));
        Assert.Equal(("t/0", "t/1"), (p0.Topic, p1.Topic));
        using (var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(quiet.Token));
        }
        await MqttFrameWriter.WriteAsync(server, new MqttPubAckPacket { PacketId = p0.PacketId }, MqttProtocolVersion.V500, cts.Token);
        Assert.Equal("t/2", Assert.IsType<MqttPublishPacket>(await reader.ReadAsync(cts.Token)).Topic);
        await sends[0].WaitAsync(Wait);
        Assert.False(sends[2].IsCompleted);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Subscriptions_are_renewed_when_the_session_was_not_kept()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "sub", KeepAliveSeconds = 0, ReconnectMinDelay = TimeSpan.FromMilliseconds(20) }, transport);
        var connecting = client.ConnectAsync();
        var first = await AcceptAsync(transport);
        await connecting;
        var subscribing = client.SubscribeAsync("cfg/#");
        var sub = Assert.IsType<MqttSubscribePacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        await Send(first.Stream, new MqttSubAckPacket { PacketId = sub.PacketId, ReasonCodes = [1] });
        Assert.Equal(new byte[] { 1 }, await subscribing.WaitAsync(Wait));

        // Incoming QoS 1 is delivered to the reader and acknowledged.
        await Send(first.Stream, new MqttPublishPacket { Topic = "cfg/x", Payload = "v"u8.ToArray(), Qos = MqttQos.AtLeastOnce, PacketId = 9 });
        using (var cts = new CancellationTokenSource(Wait))
        {
            Assert.Equal("cfg/x", (await client.Messages.ReadAsync(cts.Token)).Topic);
        }
        Assert.Equal(9, Assert.IsType<MqttPubAckPacket>(await first.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait)).PacketId);

        first.Stream.Dispose();
        var second = await AcceptAsync(transport, sessionPresent: false);
        var renewed = Assert.IsType<MqttSubscribePacket>(await second.Reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        Assert.Equal("cfg/#", Assert.Single(renewed.Filters).Filter);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Publish_validates_topics_and_never_waits_for_qos0()
    {
        var transport = new FakeMqttTransport();
        await using var client = new MqttClient(new MqttClientOptions { ClientId = "v", MaxPendingQos0 = 2 }, transport);
        await Assert.ThrowsAsync<ArgumentException>(async () => await client.PublishAsync("a/+", "x"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await client.PublishAsync("", "x"));
        // Not connected: QoS 0 is queued (bounded, oldest dropped), and the call returns at once.
        for (var i = 0; i < 5; i++)
        {
            Assert.True(client.PublishAsync("t", "x").AsTask().IsCompleted);
        }
        Assert.Equal(3, client.DroppedQos0Count);
    }

    private static async Task<ScriptedBroker> AcceptAsync(FakeMqttTransport transport, bool sessionPresent = false)
    {
        using var cts = new CancellationTokenSource(Wait);
        var server = await transport.ServerEnds.Reader.ReadAsync(cts.Token);
        var reader = new MqttFrameReader(server, 1 << 20, false);
        var connect = Assert.IsType<MqttConnectPacket>(await reader.ReadAsync(cts.Token));
        await Send(server, new MqttConnAckPacket { SessionPresent = sessionPresent });
        return new ScriptedBroker(server, reader, connect);
    }

    private static Task Send(Stream stream, MqttPacket packet) => MqttFrameWriter.WriteAsync(stream, packet, MqttProtocolVersion.V311, CancellationToken.None).AsTask();

    private sealed record ScriptedBroker(InMemoryDuplexStream Stream, MqttFrameReader Reader, MqttConnectPacket Connect);
}
