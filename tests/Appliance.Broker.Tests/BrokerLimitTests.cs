using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerLimitTests
{
    private static readonly byte[] ServerConnect = Appliance.Mqtt.Formatter.MqttPacketEncoder.Encode(
        new MqttConnectPacket { ClientId = "raw", UserName = "server", Password = "server-secret"u8.ToArray() }, MqttProtocolVersion.V311);

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Connections_beyond_the_maximum_are_closed_at_once()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxConnections = 2);
        await host.ConnectAsync("a");
        await host.ConnectAsync("b");
        var third = host.Own(new MqttClient(host.Options("c")));
        await Assert.ThrowsAnyAsync<Exception>(() => third.ConnectAsync());
        Assert.Equal(1, host.Broker.Metrics.ConnectionsRefused);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Connection_rate_is_limited()
    {
        // A bucket of 3 per second refills 3 tokens a second: 50 connects in a tight loop outrun it however slow the machine,
        // so some must be refused; how many depends on the elapsed time, which the bound accounts for.
        await using var host = await BrokerHost.StartAsync(o => o.MaxNewConnectionsPerSecond = 3);
        var sockets = new List<TcpClient>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var t = new TcpClient();
                sockets.Add(t);
                await t.ConnectAsync(IPAddress.Loopback, host.Port);
            }
            await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsAccepted + host.Broker.Metrics.ConnectionsRefused == 50, "all 50 connects seen");
            var allowed = 3 + (3 * clock.Elapsed.TotalSeconds) + 1;
            Assert.True(host.Broker.Metrics.ConnectionsRefused > 0, "no connection was refused");
            Assert.True(host.Broker.Metrics.ConnectionsAccepted <= allowed, $"{host.Broker.Metrics.ConnectionsAccepted} accepted in {clock.Elapsed.TotalSeconds:F2} s, bucket allows {allowed:F1}");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Qos0_to_a_stalled_client_is_dropped_past_the_pending_byte_cap()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxPendingBytesPerClient = 1024 * 1024);
        using var stalled = await SubscribeRawAsync(host, "stalled-0", MqttQos.AtMostOnce);

        // 32 MiB: more than loopback socket buffers hold, so the rest waits in the broker until the byte cap.
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 512; i++)
        {
            host.Broker.Publish("big/" + i, chunk);
        }
        Assert.True(host.Broker.Metrics.SlowConsumerDrops > 0, "no QoS 0 message was dropped");
        Assert.Equal(0, host.Broker.Metrics.SlowConsumerDisconnects);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Stalled_client_is_disconnected_when_qos1_passes_the_pending_byte_cap()
    {
        await using var host = await BrokerHost.StartAsync(o =>
        {
            o.MaxPendingBytesPerClient = 1024 * 1024;
            o.MaxInflightPerClient = 1000;
        });
        using var stalled = await SubscribeRawAsync(host, "stalled-1", MqttQos.AtLeastOnce);
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 512; i++)
        {
            host.Broker.Publish("big/" + i, chunk, MqttQos.AtLeastOnce);
        }
        Assert.Equal(1, host.Broker.Metrics.SlowConsumerDisconnects);
        Assert.True(await stalled.ClosedByBrokerAsync());
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Retained_messages_per_principal_are_capped()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxRetainedMessagesPerPrincipal = 3);
        var c = await host.ConnectAsync("hoarder", user: "n1");
        for (var i = 0; i < 5; i++)
        {
            await c.PublishAsync($"appliance/v1/report/n1/r{i}", "x", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        }
        Assert.Equal(3, host.Broker.RetainedCount);
        Assert.Equal(2, host.Broker.Metrics.RetainedRefusals);

        // Replacing one it holds is not a new one; deleting one frees a place.
        await c.PublishAsync("appliance/v1/report/n1/r0", "y", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        await c.PublishAsync("appliance/v1/report/n1/r1", "", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        await c.PublishAsync("appliance/v1/report/n1/r3", "x", MqttQos.AtLeastOnce, retain: true).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal(3, host.Broker.RetainedCount);
        Assert.Equal(2, host.Broker.Metrics.RetainedRefusals);

        // The server's own retained messages are not limited.
        host.Broker.Publish("appliance/v1/net/lab/a", "x"u8.ToArray(), retain: true);
        Assert.Equal(4, host.Broker.RetainedCount);
    }

    private static async Task<RawMqttSocket> SubscribeRawAsync(BrokerHost host, string clientId, MqttQos qos)
    {
        var raw = await RawMqttSocket.ConnectAsync(host.Port);
        try
        {
            await raw.SendAsync(new MqttConnectPacket { ClientId = clientId, KeepAliveSeconds = 0, UserName = "server", Password = "server-secret"u8.ToArray() });
            Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
            await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("big/#", qos)] });
            Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Subscriptions_per_client_are_capped()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxSubscriptionsPerClient = 2);
        var c = await host.ConnectAsync("greedy");
        var codes = await c.SubscribeAsync([new("a", MqttQos.AtMostOnce), new("b", MqttQos.AtMostOnce), new("c", MqttQos.AtMostOnce)]);
        Assert.Equal(new byte[] { 0, 0, 0x80 }, codes);
        Assert.Equal(new byte[] { 1 }, await c.SubscribeAsync("a", MqttQos.AtLeastOnce)); // replacing is not a new one
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Silent_socket_is_closed_after_the_connect_timeout()
    {
        await using var host = await BrokerHost.StartAsync(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(500));
        // The clock starts before the connect, so the broker's timer (started at accept) cannot have a head start on it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        Assert.True(await raw.ClosedByBrokerAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.45, 9);
    }

    [Theory]
    [Trait("Category", TestCategories.Integration)]
    [InlineData("first packet is not CONNECT", "c0 00")]
    [InlineData("5-byte remaining length", "10 ff ff ff ff 01")]
    [InlineData("reserved CONNECT flag", "10 0e 00 04 4d 51 54 54 04 03 00 3c 00 02 63 31")]
    [InlineData("protocol name MQTX", "10 0e 00 04 4d 51 54 58 04 02 00 3c 00 02 63 31")]
    public async Task Malformed_connect_closes_that_connection_only(string name, string hex)
    {
        await using var host = await BrokerHost.StartAsync();
        var bystander = await host.ConnectAsync("bystander");
        await bystander.SubscribeAsync("b/1");
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        await raw.SendAsync(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
        Assert.True(await raw.ClosedByBrokerAsync(), name);
        Assert.Equal(1, host.Broker.Metrics.MalformedPackets);
        host.Broker.Publish("b/1", "still here"u8.ToArray());
        await BrokerHost.NextAsync(bystander);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Unsupported_protocol_level_gets_connack_1()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        // CONNECT "MQIsdp" level 3 (MQTT 3.1), clean session, keepalive 60, client id "c1"
        await raw.SendAsync(Convert.FromHexString("101000064d5149736470030200" + "3c00026331"));
        var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        Assert.Equal((byte)MqttConnectReturnCode.UnacceptableProtocolVersion, ack.ReasonCode);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Oversize_packet_after_connect_closes_the_connection()
    {
        await using var host = await BrokerHost.StartAsync(o => o.MaxPacketSize = 1024);
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        await raw.SendAsync(ServerConnect);
        Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        await raw.SendAsync(new MqttPublishPacket { Topic = "big", Payload = new byte[2000] });
        Assert.True(await raw.ClosedByBrokerAsync());
        Assert.Equal(1, host.Broker.Metrics.MalformedPackets);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Second_connect_is_a_protocol_violation()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        await raw.SendAsync(ServerConnect);
        Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        await raw.SendAsync(ServerConnect);
        Assert.True(await raw.ClosedByBrokerAsync());
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Empty_client_id_needs_clean_session()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port);
        await raw.SendAsync(new MqttConnectPacket { ClientId = "", CleanSession = false, UserName = "server", Password = "server-secret"u8.ToArray() });
        Assert.Equal((byte)MqttConnectReturnCode.IdentifierRejected, Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync()).ReasonCode);

        var v5 = await host.ConnectAsync("", version: MqttProtocolVersion.V500);
        Assert.True(v5.IsConnected);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Tls_listener_serves_a_client_that_pins_its_certificate()
    {
        using var ca = new TestCertificateAuthority();
        using var cert = ca.IssueServerCertificate();
        await using var host = await BrokerHost.StartAsync(tlsCertificate: cert);
        var c = host.Own(new MqttClient(host.TlsOptions("tls-client", cert)));
        await c.ConnectAsync();
        await c.SubscribeAsync("s/#");
        await c.PublishAsync("s/1", "over tls", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("s/1", (await BrokerHost.NextAsync(c)).Topic);
    }
}
