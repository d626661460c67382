using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>Messages a client cannot take, sessions the server ends, and connection floods (issue #13 items 3 and 4).</summary>
public sealed class BrokerHardeningTests
{
    private static readonly MqttProtocolVersion V5 = MqttProtocolVersion.V500;

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Message_over_an_offline_clients_maximum_packet_size_is_dropped_and_counted_not_queued()
    {
        await using var host = await BrokerHost.StartAsync();
        using (var raw = await RawMqttSocket.ConnectAsync(host.Port, V5))
        {
            await ConnectPersistentAsync(raw, "small", maximumPacketSize: 200);
            await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("s/#", MqttQos.AtLeastOnce)] }, V5);
            Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());
            await raw.SendAsync(new MqttDisconnectPacket(), V5);
        }
        await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 0, "the client to go offline");

        host.Broker.Publish("s/big", new byte[1000], MqttQos.AtLeastOnce);
        host.Broker.Publish("s/small", "fits"u8.ToArray(), MqttQos.AtLeastOnce);

        // Only the message the client can take waits for it; the other is gone and counted.
        Assert.Equal(1, host.Broker.GetQueuedCount("small"));
        Assert.Equal(1, host.Broker.Metrics.OversizeDrops);

        using var again = await RawMqttSocket.ConnectAsync(host.Port, V5);
        Assert.True(await ConnectPersistentAsync(again, "small", maximumPacketSize: 200));
        var delivered = Assert.IsType<MqttPublishPacket>(await again.ReceiveAsync());
        Assert.Equal("s/small", delivered.Topic);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => again.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Message_over_a_connected_clients_maximum_packet_size_is_counted_and_the_next_one_delivered()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port, V5);
        await ConnectPersistentAsync(raw, "small", maximumPacketSize: 200);
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Filters = [new("s/#", MqttQos.AtLeastOnce)] }, V5);
        Assert.IsType<MqttSubAckPacket>(await raw.ReceiveAsync());

        host.Broker.Publish("s/big0", new byte[1000]);
        host.Broker.Publish("s/big1", new byte[1000], MqttQos.AtLeastOnce);
        host.Broker.Publish("s/small", "fits"u8.ToArray(), MqttQos.AtLeastOnce);

        Assert.Equal("s/small", Assert.IsType<MqttPublishPacket>(await raw.ReceiveAsync()).Topic);
        Assert.Equal(2, host.Broker.Metrics.OversizeDrops);
        Assert.Equal(0, host.Broker.GetQueuedCount("small"));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task DisconnectClient_closes_the_live_connection_and_forgets_the_persistent_session()
    {
        await using var host = await BrokerHost.StartAsync();
        using var raw = await RawMqttSocket.ConnectAsync(host.Port, V5);
        await ConnectPersistentAsync(raw, "n1", user: "n1", maximumPacketSize: null);

        Assert.True(host.Broker.DisconnectClient("n1"));

        var disconnect = Assert.IsType<MqttDisconnectPacket>(await raw.ReceiveAsync());
        Assert.Equal(MqttReasonCode.NotAuthorized, disconnect.ReasonCode);
        Assert.True(await raw.ClosedByBrokerAsync());
        Assert.Equal(-1, host.Broker.GetQueuedCount("n1"));
        Assert.Equal(1, host.Broker.Metrics.AdministrativeDisconnects);
        Assert.False(host.Broker.DisconnectClient("n1"));
    }

    [Theory]
    [Trait("Category", TestCategories.Integration)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DisconnectClient_closes_a_connection_whose_login_is_still_being_checked(bool checkSeesTheCancellation)
    {
        // The login passed the store check just before the node was deleted: it must not become a session after,
        // whether or not the check notices the connection's cancellation (one that does not ends with success).
        var auth = new GateAuthenticator(checkSeesTheCancellation);
        var options = new MqttBrokerOptions();
        options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var broker = new MqttBroker(options, auth);
        await broker.StartAsync(CancellationToken.None);
        using var raw = await RawMqttSocket.ConnectAsync(broker.BoundEndpoints[0].Port);
        await raw.SendAsync(new MqttConnectPacket { ClientId = "n1", UserName = "n1", Password = "n1-secret"u8.ToArray(), CleanSession = false });
        await auth.Entered.Task.WaitAsync(BrokerHost.Wait);

        Assert.True(broker.DisconnectClient("n1"));
        auth.Release.SetResult();

        Assert.True(await raw.ClosedByBrokerAsync());
        Assert.Equal(0, broker.SessionCount);
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task A_flood_of_bad_connections_from_one_address_does_not_starve_a_known_node_reconnecting_from_another()
    {
        // Broker-wide 20 new connections a second; one address may open 5. The flood from 127.0.0.2 runs until the
        // node has reconnected from 127.0.0.1: without the per-address budget it takes every broker-wide token as
        // soon as one refills, and the node's connects are refused.
        await using var host = await BrokerHost.StartAsync(o =>
        {
            o.MaxNewConnectionsPerSecond = 20;
            o.MaxNewConnectionsPerSecondPerAddress = 5;
        });
        var first = host.Options("n1", "n1");
        first.AutoReconnect = false;
        await using (var node = new MqttClient(first))
        {
            await node.ConnectAsync().WaitAsync(BrokerHost.Wait);
        }

        using var stop = new CancellationTokenSource();
        var flood = Task.Run(() => FloodAsync(host.Port, IPAddress.Parse("127.0.0.2"), stop.Token));
        try
        {
            await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsRefused >= 200, "the flood to be refused");
            var refusedBefore = host.Broker.Metrics.ConnectionsRefused;
            for (var i = 0; i < 3; i++)
            {
                // Each reconnect is a first try, while the flood goes on (three: within 127.0.0.1's own budget).
                var options = host.Options("n1", "n1");
                options.AutoReconnect = false;
                await using var again = new MqttClient(options);
                await again.ConnectAsync().WaitAsync(BrokerHost.Wait);
            }
            Assert.True(host.Broker.Metrics.ConnectionsRefused > refusedBefore, "the flood kept being refused meanwhile");
        }
        finally
        {
            await stop.CancelAsync();
            await flood;
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Source_rate_limiter_gives_each_address_its_own_bucket_and_forgets_refilled_ones()
    {
        var a = IPAddress.Parse("192.0.2.1");
        var b = IPAddress.Parse("192.0.2.2");
        var limiter = new MqttSourceRateLimiter(perSecond: 2, maxSources: 2, nowMs: 0);
        Assert.True(limiter.TryAcquire(a, 0));
        Assert.True(limiter.TryAcquire(a, 0));
        Assert.False(limiter.TryAcquire(a, 0));
        Assert.True(limiter.TryAcquire(b, 0));
        // The same v4 source through a dual-stack socket.
        Assert.False(limiter.TryAcquire(a.MapToIPv6(), 0));
        Assert.True(limiter.TryAcquire(a, 500));
        Assert.Equal(2, limiter.TrackedSources);

        // A third address beyond the table's size shares the overflow bucket.
        var c = IPAddress.Parse("192.0.2.3");
        Assert.True(limiter.TryAcquire(c, 500));
        Assert.Equal(2, limiter.TrackedSources);

        // b refilled by 500 ms (one token back at 2 a second); a spent its refill.
        limiter.Prune(500);
        Assert.Equal(1, limiter.TrackedSources);
        limiter.Prune(2000);
        Assert.Equal(0, limiter.TrackedSources);
    }

    // Holds every login until released, then allows it.
    private sealed class GateAuthenticator(bool honourCancellation = true) : IMqttAuthenticator
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await (honourCancellation ? Release.Task.WaitAsync(cancellationToken) : Release.Task);
            return MqttAuthResult.Allow(new MqttPrincipal(clientId, MqttTopicAcl.AllowAll));
        }
    }

    private static async Task<bool> ConnectPersistentAsync(RawMqttSocket raw, string clientId, uint? maximumPacketSize, string user = "server")
    {
        await raw.SendAsync(new MqttConnectPacket
        {
            ProtocolVersion = V5, ClientId = clientId, UserName = user, Password = System.Text.Encoding.UTF8.GetBytes(user + "-secret"),
            CleanSession = false,
            Properties = new MqttProperties { MaximumPacketSize = maximumPacketSize, SessionExpiryInterval = 3600 },
        }, V5);
        var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReceiveAsync());
        Assert.Equal(0, ack.ReasonCode);
        return ack.SessionPresent;
    }

    // Connects from `source` with a wrong password, again and again, until stopped.
    private static async Task FloodAsync(int port, IPAddress source, CancellationToken stop)
    {
        var badConnect = MqttPacketEncoder.Encode(
            new MqttConnectPacket { ClientId = "n1", UserName = "n1", Password = "wrong"u8.ToArray() }, MqttProtocolVersion.V311);
        while (!stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop);
                await socket.SendAsync(badConnect, SocketFlags.None, stop);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }
}
