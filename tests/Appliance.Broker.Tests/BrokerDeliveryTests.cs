using System.Text;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerDeliveryTests
{
    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Qos0_and_qos1_reach_exact_and_wildcard_subscribers()
    {
        await using var host = await BrokerHost.StartAsync();
        var exact = await host.ConnectAsync("exact");
        var plus = await host.ConnectAsync("plus");
        var hash = await host.ConnectAsync("hash");
        await exact.SubscribeAsync("a/b/c", MqttQos.AtLeastOnce);
        await plus.SubscribeAsync("a/+/c", MqttQos.AtLeastOnce);
        Assert.Equal(new byte[] { 0 }, await hash.SubscribeAsync("a/#", MqttQos.AtMostOnce));
        var pub = await host.ConnectAsync("pub");

        await pub.PublishAsync("a/b/c", "q1", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await pub.PublishAsync("a/x/c", "q0");

        Assert.Equal("a/b/c", (await BrokerHost.NextAsync(exact)).Topic);
        var p1 = await BrokerHost.NextAsync(plus);
        var p2 = await BrokerHost.NextAsync(plus);
        Assert.Equal((MqttQos.AtLeastOnce, MqttQos.AtMostOnce), (p1.Qos, p2.Qos));
        Assert.Equal(MqttQos.AtMostOnce, (await BrokerHost.NextAsync(hash)).Qos);
        Assert.Equal("a/x/c", (await BrokerHost.NextAsync(hash)).Topic);
        await host.AssertNothingBeforeMarkerAsync(exact, "a/b/c");
        Assert.True(host.Broker.Metrics.MessagesDelivered >= 5);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Overlapping_filters_deliver_once_at_the_highest_qos()
    {
        await using var host = await BrokerHost.StartAsync();
        var sub = await host.ConnectAsync("sub");
        await sub.SubscribeAsync("o/#", MqttQos.AtMostOnce);
        await sub.SubscribeAsync("o/+", MqttQos.AtLeastOnce);
        host.Broker.Publish("o/1", "x"u8.ToArray(), MqttQos.AtLeastOnce);
        Assert.Equal(MqttQos.AtLeastOnce, (await BrokerHost.NextAsync(sub)).Qos);
        await host.AssertNothingBeforeMarkerAsync(sub, "o/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Retained_message_goes_to_late_subscribers_until_cleared()
    {
        await using var host = await BrokerHost.StartAsync();
        var pub = await host.ConnectAsync("pub");
        await pub.PublishAsync("cfg/n1", "v1", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        await pub.PublishAsync("cfg/n1", "v2", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);

        var late = await host.ConnectAsync("late");
        await late.SubscribeAsync("cfg/+");
        var m = await BrokerHost.NextAsync(late);
        Assert.True(m.Retain);
        Assert.Equal("v2", Encoding.UTF8.GetString(m.Payload.Span));

        // Live delivery to an existing subscriber carries retain = 0.
        await pub.PublishAsync("cfg/n1", "v3", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.False((await BrokerHost.NextAsync(late)).Retain);

        await pub.PublishAsync("cfg/n1", ReadOnlyMemory<byte>.Empty, MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        await BrokerHost.NextAsync(late);
        Assert.Equal(0, host.Broker.RetainedCount);
        var later = await host.ConnectAsync("later");
        await later.SubscribeAsync("cfg/#");
        await host.AssertNothingBeforeMarkerAsync(later, "cfg/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Dollar_topics_are_not_matched_by_leading_wildcards()
    {
        await using var host = await BrokerHost.StartAsync();
        var all = await host.ConnectAsync("all");
        await all.SubscribeAsync("#");
        var sys = await host.ConnectAsync("sys");
        await sys.SubscribeAsync("$SYS/#");
        host.Broker.Publish("$SYS/x", "1"u8.ToArray());
        Assert.Equal("$SYS/x", (await BrokerHost.NextAsync(sys)).Topic);
        await host.AssertNothingBeforeMarkerAsync(all, "marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mqtt5_properties_pass_through_and_expired_retained_messages_vanish()
    {
        await using var host = await BrokerHost.StartAsync();
        var pub = await host.ConnectAsync("pub5", version: MqttProtocolVersion.V500);
        var props = new MqttProperties { UserProperties = [new("k", "v")], ContentType = "application/json", MessageExpiryInterval = 1 };
        await pub.PublishAsync("p/1", "{}"u8.ToArray(), MqttQos.AtLeastOnce, retain: true, props).AsTask().WaitAsync(BrokerHost.Wait);

        var sub = await host.ConnectAsync("sub5", version: MqttProtocolVersion.V500);
        await sub.SubscribeAsync("p/#");
        var m = await BrokerHost.NextAsync(sub);
        Assert.Equal("application/json", m.Properties!.ContentType);
        Assert.Equal(new MqttUserProperty("k", "v"), Assert.Single(m.Properties.UserProperties!));

        // A 3.1.1 subscriber gets the same message without properties.
        var old = await host.ConnectAsync("sub311");
        await old.SubscribeAsync("p/#");
        Assert.Null((await BrokerHost.NextAsync(old)).Properties);

        // The expiry interval is whole seconds, so this waits about one for real, but on the outcome, not a fixed
        // sleep: each try is a new subscriber, and the retained message has expired once a marker published after
        // the SUBSCRIBE is the first thing that subscriber gets.
        var tries = 0;
        await Wait.UntilAsync(async () =>
        {
            var late = await host.ConnectAsync("late5-" + tries++, version: MqttProtocolVersion.V500);
            await late.SubscribeAsync("p/#");
            host.Broker.Publish("p/marker", "marker"u8.ToArray(), MqttQos.AtLeastOnce);
            var first = await BrokerHost.NextAsync(late);
            await late.DisconnectAsync();
            return first.Topic == "p/marker";
        }, "the retained message to expire", poll: TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Qos2_publish_is_delivered_once_and_completes_the_handshake()
    {
        await using var host = await BrokerHost.StartAsync();
        var sub = await host.ConnectAsync("sub");
        await sub.SubscribeAsync("q2/#", MqttQos.ExactlyOnce);
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        await raw.SendAsync(new MqttConnectPacket { ClientId = "raw", UserName = "server", Password = "server-secret"u8.ToArray() });
        Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        var publish = new MqttPublishPacket { Topic = "q2/a", Payload = "x"u8.ToArray(), Qos = MqttQos.ExactlyOnce, PacketId = 7 };
        await raw.SendAsync(publish);
        Assert.Equal(7, Assert.IsType<MqttPubRecPacket>(await raw.ReceiveAsync()).PacketId);
        publish.Duplicate = true;
        await raw.SendAsync(publish);
        Assert.IsType<MqttPubRecPacket>(await raw.ReceiveAsync());
        await raw.SendAsync(new MqttPubRelPacket { PacketId = 7 });
        Assert.Equal(7, Assert.IsType<MqttPubCompPacket>(await raw.ReceiveAsync()).PacketId);

        var m = await BrokerHost.NextAsync(sub);
        Assert.Equal(MqttQos.AtLeastOnce, m.Qos); // granted QoS is capped at 1
        await host.AssertNothingBeforeMarkerAsync(sub, "q2/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Packets_pipelined_behind_connect_in_one_segment_are_processed()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        var v = MqttProtocolVersion.V311;
        await raw.SendAsync([
            .. Appliance.Mqtt.Formatter.MqttPacketEncoder.Encode(new MqttConnectPacket { ClientId = "eager", UserName = "server", Password = "server-secret"u8.ToArray() }, v),
            .. Appliance.Mqtt.Formatter.MqttPacketEncoder.Encode(new MqttSubscribePacket { PacketId = 1, Filters = [new("e/1", MqttQos.AtMostOnce)] }, v),
            .. Appliance.Mqtt.Formatter.MqttPacketEncoder.Encode(new MqttPublishPacket { Topic = "e/1", Payload = "self"u8.ToArray() }, v),
        ]);
        Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());
        Assert.Equal("e/1", Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync()).Topic);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task In_process_subscriber_sees_node_reports_with_the_publisher_id()
    {
        await using var host = await BrokerHost.StartAsync();
        var seen = System.Threading.Channels.Channel.CreateUnbounded<MqttBrokerInboundMessage>();
        var subscription = host.Broker.Subscribe("appliance/v1/report/+/#", m => seen.Writer.TryWrite(m));
        var n1 = await host.ConnectAsync("n1", "n1");
        await n1.PublishAsync("appliance/v1/report/n1/status", "up", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        using var cts = new CancellationTokenSource(BrokerHost.Wait);
        var m = await seen.Reader.ReadAsync(cts.Token);
        Assert.Equal(("appliance/v1/report/n1/status", "n1", "up"), (m.Topic, m.PublisherClientId, Encoding.UTF8.GetString(m.Payload.Span)));

        subscription.Dispose();
        await n1.PublishAsync("appliance/v1/report/n1/status", "again", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.False(seen.Reader.TryRead(out _));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mqtt5_client_limits_are_respected()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port, MqttProtocolVersion.V500);
        var v5 = MqttProtocolVersion.V500;
        await raw.SendAsync(new MqttConnectPacket
        {
            ProtocolVersion = v5, ClientId = "tiny", UserName = "server", Password = "server-secret"u8.ToArray(),
            Properties = new MqttProperties { MaximumPacketSize = 100, ReceiveMaximum = 2 },
        }, v5);
        var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        Assert.Equal((byte)1, ack.Properties!.MaximumQos);
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("l/#", MqttQos.AtLeastOnce)] }, v5);
        Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());

        host.Broker.Publish("l/big", new byte[500], MqttQos.AtLeastOnce); // over the client's 100 bytes: skipped
        for (var i = 0; i < 4; i++)
        {
            host.Broker.Publish("l/" + i, "x"u8.ToArray(), MqttQos.AtLeastOnce);
        }
        // Receive Maximum 2: two in flight until acknowledged.
        var first = Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync());
        var second = Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync());
        Assert.Equal(("l/0", "l/1"), (first.Topic, second.Topic));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => raw.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        await raw.SendAsync(new MqttPubAckPacket { PacketId = first.PacketId }, v5);
        Assert.Equal("l/2", Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync()).Topic);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Unsubscribe_stops_delivery()
    {
        await using var host = await BrokerHost.StartAsync();
        var sub = await host.ConnectAsync("sub");
        await sub.SubscribeAsync("u/1");
        await sub.UnsubscribeAsync("u/1");
        await sub.SubscribeAsync("marker");
        host.Broker.Publish("u/1", "x"u8.ToArray());
        await host.AssertNothingBeforeMarkerAsync(sub, "marker");
    }
}
