using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Broker.Tests;

/// <summary>
/// <see cref="MqttBroker.PublishShared"/>: one payload handed over by reference reaches every subscriber byte-exact, and
/// the broker keeps that one array (no copy at publish, none per delivery).
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class BrokerSharedPayloadTests(ITestOutputHelper output)
{
    private const int Subscribers = 50;

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtMostOnce)]
    public async Task One_shared_payload_reaches_every_tcp_and_tls_subscriber_without_a_copy(MqttProtocolVersion version, MqttQos qos)
    {
        using var ca = new TestCertificateAuthority();
        using var cert = ca.IssueServerCertificate();
        await using var host = await BrokerHost.StartAsync(tlsCertificate: cert);
        var clients = await Task.WhenAll(Enumerable.Range(0, Subscribers).Select(i => SubscribeAsync(host, cert, $"sub-{i}", tls: i % 2 == 1, version, qos)));
        ReadOnlyMemory<byte> seenLocally = default;
        using var local = host.Broker.Subscribe("snap/#", m => seenLocally = m.Payload);

        // 75 KB: more than the 64 KB write batch and many 4 KB TLS writes.
        var payload = RandomNumberGenerator.GetBytes(75 * 1024);
        var properties = new MqttProperties { ContentType = "application/octet-stream", MessageExpiryInterval = 600 };
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        host.Broker.PublishShared("snap/n1", payload, qos, retain: true, properties);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        // Fan-out runs on the publishing thread: with a copy per delivery it would allocate 50 x 75 KB here.
        Assert.True(allocated < payload.Length, $"publishing to {Subscribers} subscribers allocated {allocated} bytes, a copy of the payload is {payload.Length}");
        Assert.Same(payload, ArrayOf(seenLocally));
        Assert.Same(payload, ArrayOf(Assert.Single(host.Broker.Retained.Match("snap/n1", Environment.TickCount64)).Payload));

        foreach (var c in clients)
        {
            var m = await BrokerHost.NextAsync(c);
            Assert.Equal("snap/n1", m.Topic);
            Assert.Equal(qos, m.Qos);
            Assert.True(payload.AsSpan().SequenceEqual(m.Payload.Span), "payload differs");
            Assert.Equal(version == MqttProtocolVersion.V500 ? "application/octet-stream" : null, m.Properties?.ContentType);
        }
        output.WriteLine($"{version} QoS {(int)qos}: {allocated} bytes allocated publishing {payload.Length} bytes to {Subscribers} subscribers");
    }

    [Fact]
    public async Task A_75_KB_retained_shared_payload_arrives_intact_through_tls_between_small_messages()
    {
        using var ca = new TestCertificateAuthority();
        using var cert = ca.IssueServerCertificate();
        await using var host = await BrokerHost.StartAsync(tlsCertificate: cert);
        var live = await SubscribeAsync(host, cert, "live", tls: true, MqttProtocolVersion.V311, MqttQos.AtLeastOnce);
        var payload = RandomNumberGenerator.GetBytes(75 * 1024);

        host.Broker.PublishShared("snap/a", "before"u8.ToArray(), MqttQos.AtLeastOnce);
        host.Broker.PublishShared("snap/b", payload, MqttQos.AtLeastOnce, retain: true);
        host.Broker.PublishShared("snap/c", "after"u8.ToArray(), MqttQos.AtMostOnce);
        Assert.Equal("before"u8.ToArray(), (await BrokerHost.NextAsync(live)).Payload.ToArray());
        var big = await BrokerHost.NextAsync(live);
        Assert.Equal(("snap/b", false), (big.Topic, big.Retain));
        Assert.Equal(payload, big.Payload.ToArray());
        Assert.Equal("after"u8.ToArray(), (await BrokerHost.NextAsync(live)).Payload.ToArray());

        // A late TLS subscriber gets the retained message, from the very array that was handed over.
        var late = await SubscribeAsync(host, cert, "late", tls: true, MqttProtocolVersion.V500, MqttQos.AtLeastOnce);
        var retained = await BrokerHost.NextAsync(late);
        Assert.Equal(("snap/b", true), (retained.Topic, retained.Retain));
        Assert.Equal(payload, retained.Payload.ToArray());
        Assert.Same(payload, ArrayOf(Assert.Single(host.Broker.Retained.Match("snap/#", Environment.TickCount64)).Payload));
    }

    [Fact]
    public async Task Copying_publish_keeps_its_own_copy()
    {
        await using var host = await BrokerHost.StartAsync();
        var payload = "original"u8.ToArray();
        host.Broker.Publish("keep/1", payload, MqttQos.AtLeastOnce, retain: true);
        payload[0] = (byte)'X';
        var stored = Assert.Single(host.Broker.Retained.Match("keep/1", Environment.TickCount64)).Payload;
        Assert.NotSame(payload, ArrayOf(stored));
        Assert.Equal("original"u8.ToArray(), stored.ToArray());
    }

    /// <summary>
    /// The figure in the broker README: bytes allocated while routing one 72 KB QoS 1 message to 1000 connected
    /// subscribers, copying <see cref="MqttBroker.Publish"/> and <see cref="MqttBroker.PublishShared"/> side by side.
    /// </summary>
    [Fact]
    public async Task Allocation_for_one_72_KB_message_to_1000_qos1_subscribers()
    {
        const int count = 1000;
        await using var host = await BrokerHost.StartAsync(o =>
        {
            o.MaxNewConnectionsPerSecond = 100_000;
            o.MaxNewConnectionsPerSecondPerAddress = 100_000;
        });
        var subscribers = new List<RawMqttSocket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                subscribers.Add(await RawSubscriberAsync(host, "fan-" + i));
            }
            var payload = RandomNumberGenerator.GetBytes(72 * 1024);
            host.Broker.PublishShared("fan/warm-up", payload, MqttQos.AtLeastOnce);
            await ReceiveAllAsync(subscribers, payload, "fan/warm-up");

            var copying = await MeasureAsync(() => host.Broker.Publish("fan/copied", payload, MqttQos.AtLeastOnce), subscribers, payload, "fan/copied");
            var shared = await MeasureAsync(() => host.Broker.PublishShared("fan/shared", payload, MqttQos.AtLeastOnce), subscribers, payload, "fan/shared");

            output.WriteLine($$"""{"figure":"broker-fanout-alloc","subscribers":{{count}},"payload":{{payload.Length}},"publish_bytes":{{copying}},"publish_shared_bytes":{{shared}}}""");
            // Before frames by reference, each delivery allocated a whole frame: 1000 x 72 KB = 74 MB for this message.
            Assert.True(shared < count * 1024L, $"PublishShared allocated {shared} bytes for {count} deliveries: more than 1 KB each");
            Assert.True(copying >= payload.Length && copying < 2L * payload.Length + shared, $"Publish allocated {copying} bytes: one copy of the payload plus the headers ({shared})");
        }
        finally
        {
            foreach (var s in subscribers)
            {
                s.Dispose();
            }
        }
    }

    private static async Task<long> MeasureAsync(Action publish, List<RawMqttSocket> subscribers, byte[] payload, string topic)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        publish();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await ReceiveAllAsync(subscribers, payload, topic);
        return allocated;
    }

    private static async Task ReceiveAllAsync(List<RawMqttSocket> subscribers, byte[] payload, string topic)
    {
        var packets = await Task.WhenAll(subscribers.Select(s => s.ReceiveAsync(TimeSpan.FromSeconds(30))));
        foreach (var p in packets)
        {
            var publish = Assert.IsType<MqttPublishPacket>(p);
            Assert.Equal(topic, publish.Topic);
            Assert.True(payload.AsSpan().SequenceEqual(publish.Payload.Span), "payload differs");
        }
    }

    private static async Task<RawMqttSocket> RawSubscriberAsync(BrokerHost host, string clientId)
    {
        var raw = await RawMqttSocket.ConnectAsync(host.Port);
        try
        {
            await raw.SendAsync(new MqttConnectPacket { ClientId = clientId, KeepAliveSeconds = 0, UserName = "server", Password = "server-secret"u8.ToArray() });
            Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
            await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("fan/#", MqttQos.AtLeastOnce)] });
            Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    private static async Task<MqttClient> SubscribeAsync(BrokerHost host, X509Certificate2 certificate, string clientId, bool tls, MqttProtocolVersion version, MqttQos qos)
    {
        var options = tls ? host.TlsOptions(clientId, certificate) : host.Options(clientId);
        options.ProtocolVersion = version;
        var client = host.Own(new MqttClient(options));
        await client.ConnectAsync().WaitAsync(BrokerHost.Wait);
        await client.SubscribeAsync("snap/#", qos).WaitAsync(BrokerHost.Wait);
        return client;
    }

    private static byte[]? ArrayOf(ReadOnlyMemory<byte> memory) => MemoryMarshal.TryGetArray(memory, out var segment) ? segment.Array : null;
}
