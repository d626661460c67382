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

    // Packets the broker must actually read (decoded or rejected). The broker closes a connection at its first malformed
    // packet, so this is about two per connection: ~137,000 in 25 s on an idle 2-core machine. The fuzzers run for 25 s
    // and, on a machine busy with other test assemblies, on until the broker has read this many (at most 120 s): the
    // test asks for an amount of fuzzing, not a speed. The decoder fuzz in Appliance.Mqtt.Tests covers the volume.
    private const long MinimumPacketsRead = 40_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan HardLimit = TimeSpan.FromSeconds(120);

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Mutated_packets_on_live_connections_never_stop_the_broker()
    {
        await using var host = await BrokerHost.StartAsync(o =>
        {
            o.MaxNewConnectionsPerSecond = 100_000;
            o.MaxNewConnectionsPerSecondPerAddress = 100_000;
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
            o.MaxPacketSize = 4096;
        });
        var bystander = await host.ConnectAsync("bystander");
        await bystander.SubscribeAsync("alive/#");

        var corpus = GoldenFrames.All.Select(f => Hex.Parse(f.Hex)).ToArray();
        var watch = Stopwatch.StartNew();
        long written = 0;
        bool Fuzzing() => watch.Elapsed < Budget
            || (watch.Elapsed < HardLimit && host.Broker.Metrics.PacketsDecoded + host.Broker.Metrics.MalformedPackets < MinimumPacketsRead);
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var mutator = new PacketMutator(1000 + w, corpus);
            var rng = new Random(w);
            for (var n = 0; Fuzzing(); n++)
            {
                var mutateConnect = rng.Next(10) == 0;
                var connect = MqttPacketEncoder.Encode(
                    new MqttConnectPacket { ClientId = $"fuzz-{w}-{n}", UserName = "server", Password = "server-secret"u8.ToArray(), ProtocolVersion = rng.Next(2) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500 },
                    MqttProtocolVersion.V311);
                Interlocked.Add(ref written, await FuzzOneConnectionAsync(host.Port, mutateConnect ? new PacketMutator(n, [connect]).Next() : connect, mutator));
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

        // What the broker actually read: each connection ends at its first malformed packet, so most writes after it are never parsed.
        var read = host.Broker.Metrics.PacketsDecoded + host.Broker.Metrics.MalformedPackets;
        Assert.True(read >= MinimumPacketsRead, $"broker read {read} packets ({host.Broker.Metrics.MalformedPackets} malformed) of {written} written on {host.Broker.Metrics.ConnectionsAccepted} connections in {watch.Elapsed}");
        Assert.Equal(0, host.Broker.Metrics.InternalErrors);
        Assert.True(host.Broker.Metrics.MalformedPackets > 1000, $"malformed {host.Broker.Metrics.MalformedPackets}, accepted {host.Broker.Metrics.ConnectionsAccepted}");
        Assert.True(bystander.IsConnected && bystander.ReconnectCount == 0, $"bystander reconnects {bystander.ReconnectCount}: " + string.Join("\n", host.Log.Where(l => l.Contains("bystander", StringComparison.Ordinal))));
        await Wait.UntilAsync(() => host.Broker.Metrics.ConnectionsCurrent == 1, "fuzz connections all closed");
        host.Broker.Publish("alive/end", "x"u8.ToArray());
        Assert.Equal("alive/end", (await BrokerHost.NextAsync(bystander)).Topic);
        Assert.True(probes > 5);
    }

    /// <summary>
    /// Sends CONNECT, then one mutated packet per write until the broker closes the connection (or 100 were written);
    /// returns the number of packets written. A broker that never closes fails the test.
    /// </summary>
    private static async Task<int> FuzzOneConnectionAsync(int port, byte[] connect, PacketMutator mutator)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var drain = DrainAsync(socket, cts.Token);
        var written = 0;
        try
        {
            await socket.SendAsync(connect, SocketFlags.None, cts.Token);
            written++;
            while (!drain.IsCompleted && written <= PacketsPerConnection)
            {
                await socket.SendAsync(mutator.Next(), SocketFlags.None, cts.Token);
                written++;
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The broker closed first (malformed packet): exactly what it should do.
        }
        await drain;
        Assert.False(cts.IsCancellationRequested, "broker did not close a fuzz connection within 10 s");
        return written;
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
