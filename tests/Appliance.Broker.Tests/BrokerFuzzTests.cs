using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Tests.Formatter;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerFuzzTests
{
    private const int PacketsPerConnection = 100;

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mutated_packets_on_live_connections_never_stop_the_broker()
    {
        await using var host = await BrokerHost.StartAsync(o =>
        {
            o.MaxNewConnectionsPerSecond = 100_000;
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
            o.MaxPacketSize = 4096;
        });
        var bystander = await host.ConnectAsync("bystander");
        await bystander.SubscribeAsync("alive/#");

        var corpus = GoldenFrames.All.Select(f => Hex.Parse(f.Hex)).ToArray();
        var watch = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(25);
        long sent = 0;
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var mutator = new PacketMutator(1000 + w, corpus);
            var rng = new Random(w);
            for (var n = 0; n < 500 && watch.Elapsed < budget; n++)
            {
                var batch = new List<byte>();
                var mutateConnect = rng.Next(10) == 0;
                var connect = MqttPacketEncoder.Encode(
                    new MqttConnectPacket { ClientId = $"fuzz-{w}-{n}", UserName = "server", Password = "server-secret"u8.ToArray(), ProtocolVersion = rng.Next(2) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500 },
                    MqttProtocolVersion.V311);
                batch.AddRange(mutateConnect ? new PacketMutator(n, [connect]).Next() : connect);
                for (var i = 0; i < PacketsPerConnection; i++)
                {
                    batch.AddRange(mutator.Next());
                }
                await SendAndDrainAsync(host.Port, [.. batch]);
                Interlocked.Add(ref sent, PacketsPerConnection + 1);
            }
        })).ToArray();

        // While the fuzzers run, the bystander keeps getting its messages.
        var probes = 0;
        while (!workers.All(t => t.IsCompleted))
        {
            host.Broker.Publish("alive/" + probes, "ping"u8.ToArray(), MqttQos.AtLeastOnce);
            Assert.Equal("alive/" + probes, (await BrokerHost.NextAsync(bystander)).Topic);
            probes++;
            await Task.Delay(50);
        }
        await Task.WhenAll(workers);

        Assert.True(sent >= 100_000, $"only {sent} packets sent in {watch.Elapsed}");
        Assert.Equal(0, host.Broker.Metrics.InternalErrors);
        Assert.True(host.Broker.Metrics.MalformedPackets > 1000, $"malformed {host.Broker.Metrics.MalformedPackets}, accepted {host.Broker.Metrics.ConnectionsAccepted}");
        Assert.True(bystander.IsConnected && bystander.ReconnectCount == 0, $"bystander reconnects {bystander.ReconnectCount}: " + string.Join("\n", host.Log.Where(l => l.Contains("bystander", StringComparison.Ordinal))));
        await BrokerHost.WaitUntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 1, "fuzz connections all closed");
        host.Broker.Publish("alive/end", "x"u8.ToArray());
        Assert.Equal("alive/end", (await BrokerHost.NextAsync(bystander)).Topic);
        Assert.True(probes > 5);
    }

    /// <summary>Writes the bytes, half-closes, and reads until the broker closes; a broker that hangs fails the test.</summary>
    private static async Task SendAndDrainAsync(int port, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var drain = DrainAsync(socket, cts.Token);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, cts.Token);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The broker closed first (malformed packet): exactly what it should do.
        }
        await drain;
        Assert.False(cts.IsCancellationRequested, "broker did not close a fuzz connection within 10 s");
    }

    private static async Task DrainAsync(Socket socket, CancellationToken token)
    {
        var buffer = new byte[8192];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, token) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }
}
