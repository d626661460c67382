using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerSessionTests
{
    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Persistent_session_keeps_subscriptions_and_queues_qos1_while_offline()
    {
        await using var host = await BrokerHost.StartAsync();
        var options = host.Options("agent-1");
        options.CleanSession = false;
        var first = new MqttClient(options);
        Assert.False(await first.ConnectAsync());
        await first.SubscribeAsync("box/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();
        await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 0, "broker saw the disconnect");

        host.Broker.Publish("box/1", "a"u8.ToArray(), MqttQos.AtLeastOnce);
        host.Broker.Publish("box/2", "b"u8.ToArray(), MqttQos.AtLeastOnce);
        host.Broker.Publish("box/0", "dropped: qos0 is not queued"u8.ToArray(), MqttQos.AtMostOnce);
        Assert.Equal(2, host.Broker.GetQueuedCount("agent-1"));

        var again = host.Own(new MqttClient(options));
        Assert.True(await again.ConnectAsync());
        Assert.Equal("box/1", (await BrokerHost.NextAsync(again)).Topic);
        Assert.Equal("box/2", (await BrokerHost.NextAsync(again)).Topic);
        await host.AssertNothingBeforeMarkerAsync(again, "box/marker");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Clean_session_discards_the_old_session()
    {
        await using var host = await BrokerHost.StartAsync();
        var options = host.Options("agent-2");
        options.CleanSession = false;
        var first = new MqttClient(options);
        await first.ConnectAsync();
        await first.SubscribeAsync("box/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();
        host.Broker.Publish("box/1", "a"u8.ToArray(), MqttQos.AtLeastOnce);

        options.CleanSession = true;
        var clean = host.Own(new MqttClient(options));
        Assert.False(await clean.ConnectAsync());
        await clean.SubscribeAsync("marker/#"); // only for the markers: the old box/# subscription must be gone
        await host.AssertNothingBeforeMarkerAsync(clean, "marker/1");
        host.Broker.Publish("box/2", "b"u8.ToArray(), MqttQos.AtLeastOnce);
        await host.AssertNothingBeforeMarkerAsync(clean, "marker/2");
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Offline_queue_is_bounded_and_drops_the_oldest()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxQueuedMessagesPerClient = 5);
        var options = host.Options("agent-3");
        options.CleanSession = false;
        var first = new MqttClient(options);
        await first.ConnectAsync();
        await first.SubscribeAsync("q/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();
        await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 0, "broker saw the disconnect");
        for (var i = 0; i < 8; i++)
        {
            host.Broker.Publish($"q/{i}", "x"u8.ToArray(), MqttQos.AtLeastOnce);
        }
        Assert.Equal(3, host.Broker.Metrics.QueuedMessagesDropped);

        var again = host.Own(new MqttClient(options));
        await again.ConnectAsync();
        for (var i = 3; i < 8; i++)
        {
            Assert.Equal($"q/{i}", (await BrokerHost.NextAsync(again)).Topic);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Unacknowledged_qos1_is_resent_with_dup_after_reconnect()
    {
        await using var host = await BrokerHost.StartAsync();
        using (var raw = await RawMqttSocket.ConnectAsync(host.Port))
        {
            await raw.SendAsync(new MqttConnectPacket { ClientId = "forgetful", CleanSession = false, UserName = "server", Password = "server-secret"u8.ToArray() });
            await raw.ReceiveAsync();
            await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("f/#", MqttQos.AtLeastOnce)] });
            await raw.ReceiveAsync();
            host.Broker.Publish("f/1", "x"u8.ToArray(), MqttQos.AtLeastOnce);
            var first = Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync());
            Assert.False(first.Duplicate);
            // Vanish without PUBACK.
        }
        using var again = await RawMqttSocket.ConnectAsync(host.Port);
        await again.SendAsync(new MqttConnectPacket { ClientId = "forgetful", CleanSession = false, UserName = "server", Password = "server-secret"u8.ToArray() });
        Assert.True(Assert.IsType<MqttConnAckPacket>(await again.ReceiveAsync()).SessionPresent);
        var resent = Assert.IsType<MqttPublishPacket>(await again.ReceiveAsync());
        Assert.True(resent.Duplicate);
        Assert.Equal("f/1", resent.Topic);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Duplicate_client_id_takes_over_the_session()
    {
        await using var host = await BrokerHost.StartAsync();
        var options = host.Options("twin");
        options.AutoReconnect = false;
        var first = host.Own(new MqttClient(options));
        await first.ConnectAsync();
        var second = host.Own(new MqttClient(options));
        await second.ConnectAsync();
        await Wait.UntilAsync(() => !first.IsConnected, "first connection closed");
        Assert.True(second.IsConnected);
        Assert.Equal(1, host.Broker.Metrics.SessionTakeovers);
        await second.SubscribeAsync("t/1");
        host.Broker.Publish("t/1", "x"u8.ToArray());
        await BrokerHost.NextAsync(second);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Will_is_published_on_abnormal_close_only()
    {
        await using var host = await BrokerHost.StartAsync();
        var watcher = await host.ConnectAsync("watcher");
        await watcher.SubscribeAsync("appliance/v1/report/+/status");

        var polite = new MqttClient(WithWill(host.Options("n1", "n1"), "appliance/v1/report/n1/status"));
        await polite.ConnectAsync();
        await polite.DisconnectAsync();
        await polite.DisposeAsync();
        await host.AssertNothingBeforeMarkerAsync(watcher, "appliance/v1/report/marker/status");

        var rude = new MqttClient(WithWill(host.Options("n2", "n2"), "appliance/v1/report/n2/status"));
        await rude.ConnectAsync();
        await rude.DisposeAsync();
        var will = await BrokerHost.NextAsync(watcher);
        Assert.Equal("appliance/v1/report/n2/status", will.Topic);
        Assert.True(will.Retain is false);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Packets_from_a_taken_over_connection_do_not_reach_the_new_session()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxPendingBytesPerClient = 64 * 1024 * 1024);
        var connect = new MqttConnectPacket { ClientId = "twin", CleanSession = false, KeepAliveSeconds = 0, UserName = "server", Password = "server-secret"u8.ToArray() };
        using var old = await RawMqttSocket.ConnectAsync(host.Port);
        await old.SendAsync(connect);
        Assert.IsType<MqttConnAckPacket>(await old.ReceiveAsync());
        await old.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("big/#", MqttQos.AtMostOnce)] });
        Assert.IsType<MqttSubAckPacket>(await old.ReceiveAsync());

        // The old client stops reading while 16 MiB are queued for it: after the takeover its connection cannot finish
        // flushing, so it stays open and its reader keeps going, which is the window this test needs.
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 256; i++)
        {
            host.Broker.Publish("big/" + i, chunk);
        }
        using var current = await RawMqttSocket.ConnectAsync(host.Port);
        await current.SendAsync(connect);
        Assert.IsType<MqttConnAckPacket>(await current.ReceiveAsync());

        // The old socket may still be open for a moment: whatever it sends now must not touch the session.
        try
        {
            await old.SendAsync(new MqttSubscribePacket { PacketId = 2, Filters = [new("leak/#", MqttQos.AtMostOnce)] });
        }
        catch (IOException)
        {
        }
        await Task.Delay(200);
        host.Broker.Publish("leak/1", "x"u8.ToArray());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => current.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.True(await old.ClosedByBrokerAsync());
        Assert.Equal(1, host.Broker.Metrics.SessionTakeovers);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Keepalive_is_enforced_at_one_and_a_half_periods()
    {
        await using var host = await BrokerHost.StartAsync();
        var watcher = await host.ConnectAsync("watcher");
        await watcher.SubscribeAsync("gone/#");
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        var will = new MqttWill { Topic = "gone/silent", Payload = "x"u8.ToArray() };

        // The broker's keepalive clock starts when it has processed CONNECT, so ours starts before sending it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await raw.SendAsync(new MqttConnectPacket { ClientId = "silent", KeepAliveSeconds = 1, UserName = "server", Password = "server-secret"u8.ToArray(), Will = will });
        Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.45, 9);
        Assert.Equal(1, host.Broker.Metrics.KeepAliveTimeouts);
        Assert.Equal("gone/silent", (await BrokerHost.NextAsync(watcher)).Topic);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Client_pings_keep_an_idle_connection_open()
    {
        await using var host = await BrokerHost.StartAsync();
        // Keepalive 2 s: the client pings after 1.5 s idle, the broker gives up after 3 s without a packet. No fixed
        // sleep: wait until the broker has read three pings (the idle client sends nothing else), which takes more
        // than one and a half periods, so only the pings can have kept the connection open.
        var idle = await host.ConnectAsync("idle", configure: o => o.KeepAliveSeconds = 2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = host.Broker.Metrics.PacketsDecoded;
        await Wait.UntilAsync(() => host.Broker.Metrics.PacketsDecoded - before >= 3, "three PINGREQs from the idle client");
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(3), $"three pings came within {clock.Elapsed}: the client pings too often to prove anything");
        Assert.True(idle.IsConnected);
        Assert.Equal(0, host.Broker.Metrics.KeepAliveTimeouts);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mqtt5_session_expiry_zero_ends_the_session_with_the_connection()
    {
        await using var host = await BrokerHost.StartAsync();
        var options = host.Options("v5-short", version: MqttProtocolVersion.V500);
        options.CleanSession = false;
        options.SessionExpirySeconds = 0;
        var c = new MqttClient(options);
        await c.ConnectAsync();
        await c.SubscribeAsync("x/#");
        await c.DisconnectAsync();
        await c.DisposeAsync();
        await Wait.UntilAsync(() => host.Broker.GetQueuedCount("v5-short") == -1, "session removed");

        options.SessionExpirySeconds = 60;
        var d = new MqttClient(options);
        await d.ConnectAsync();
        await d.DisconnectAsync();
        await d.DisposeAsync();
        await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 0, "broker saw the disconnect");
        Assert.Equal(0, host.Broker.GetQueuedCount("v5-short")); // the session outlives its connection now
    }

    private static MqttClientOptions WithWill(MqttClientOptions o, string topic)
    {
        o.Will = new MqttWill { Topic = topic, Payload = "offline"u8.ToArray() };
        o.AutoReconnect = false;
        return o;
    }
}
