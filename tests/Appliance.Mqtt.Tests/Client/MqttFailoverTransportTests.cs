using System.Net.Sockets;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Client;

/// <summary>A client given the brokers of a cluster moves on to the next one when its broker is gone.</summary>
public sealed class MqttFailoverTransportTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("mqtt-failover");
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
    [Trait("Category", TestCategories.Unit)]
    public async Task A_connect_skips_unreachable_brokers_and_the_next_connect_starts_after_the_one_used()
    {
        var (first, second, third) = (new UnreachableMqttTransport(), new FakeMqttTransport(), new FakeMqttTransport());
        var failover = new MqttFailoverTransport([first, second, third]);

        await using (await failover.ConnectAsync(CancellationToken.None))
        {
        }
        Assert.Equal((1, 1, 0, 1), (first.Connects, second.Connects, third.Connects, failover.Current));

        // The client connects again only after losing its broker: the next broker in turn gets it.
        await using (await failover.ConnectAsync(CancellationToken.None))
        {
        }
        Assert.Equal((1, 1, 1, 2), (first.Connects, second.Connects, third.Connects, failover.Current));

        // From the last it wraps around, past the unreachable first, to the second.
        await using (await failover.ConnectAsync(CancellationToken.None))
        {
        }
        Assert.Equal((2, 2, 1, 1), (first.Connects, second.Connects, third.Connects, failover.Current));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task When_no_broker_answers_every_failure_is_reported()
    {
        var brokers = new[] { new UnreachableMqttTransport(), new UnreachableMqttTransport() };
        var failover = new MqttFailoverTransport(brokers);
        var e = await Assert.ThrowsAsync<AggregateException>(async () => await failover.ConnectAsync(CancellationToken.None));
        Assert.Equal(2, e.InnerExceptions.Count);
        Assert.All(e.InnerExceptions, x => Assert.IsType<SocketException>(x));
        Assert.Equal(-1, failover.Current);

        var single = new MqttFailoverTransport([new UnreachableMqttTransport()]);
        await Assert.ThrowsAsync<SocketException>(async () => await single.ConnectAsync(CancellationToken.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MqttFailoverTransport([]));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task A_client_whose_broker_dies_reconnects_to_the_next_and_receives_there()
    {
        var one = await StartMosquittoAsync();
        var two = await StartMosquittoAsync();
        var client = Own(new MqttClient(new MqttClientOptions
        {
            Port = one.Port,
            FailoverBrokers = [new MqttBrokerAddress("127.0.0.1", two.Port)],
            ClientId = "follower",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        }));
        client.ConnectionChanged += up =>
        {
            if (up)
            {
                // A broker without our session: subscribe again on every connect, as the mesh clients do.
                _ = client.SubscribeAsync("t/#", MqttQos.AtLeastOnce);
            }
        };
        await client.ConnectAsync();
        await client.SubscribeAsync("t/#", MqttQos.AtLeastOnce);

        one.Kill();
        await Wait.UntilAsync(() => client.IsConnected && client.ReconnectCount == 1, "the client reconnects to the second broker", TimeSpan.FromSeconds(10));
        var sender = Own(new MqttClient(new MqttClientOptions { Port = two.Port, ClientId = "sender" }));
        await sender.ConnectAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        MqttReceivedMessage? got = null;
        while (got is null)
        {
            // The resubscribe races the first publish: publish until it arrives.
            await sender.PublishAsync("t/x", "hello"u8.ToArray(), MqttQos.AtLeastOnce);
            await Task.Delay(50, cts.Token);
            client.Messages.TryRead(out got);
        }
        Assert.Equal("t/x", got.Topic);
    }

    private async Task<MosquittoProcess> StartMosquittoAsync()
    {
        var port = Binaries.FreeTcpPort();
        return Own(await MosquittoProcess.StartAsync(_dir.Path, port, $"listener {port} 127.0.0.1\npersistence false\nallow_anonymous true\n"));
    }

    private T Own<T>(T item)
        where T : IAsyncDisposable
    {
        _owned.Add(item);
        return item;
    }
}
