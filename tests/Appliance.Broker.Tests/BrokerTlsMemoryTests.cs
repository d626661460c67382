using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using Appliance.Broker.Interop;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>What a TLS connection keeps in OpenSSL between messages: record buffers released, writes kept small.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class BrokerTlsMemoryTests
{
    [Fact]
    public async Task Release_buffers_mode_is_set_on_the_OpenSSL_connection_and_the_stream_still_carries_data()
    {
        Assert.Null(SslStreamBufferRelease.UnavailableReason);
        using var ca = new TestCertificateAuthority();
        using var cert = ca.IssueServerCertificate();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await clientSocket.ConnectAsync(listener.LocalEndPoint!);
        using var serverSocket = await listener.AcceptAsync();
        await using var server = new SslStream(new NetworkStream(serverSocket, ownsSocket: false));
        await using var client = new SslStream(new NetworkStream(clientSocket, ownsSocket: false), false, (_, c, _, _) => c is not null && c.GetRawCertData().AsSpan().SequenceEqual(cert.RawData));
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" })).WaitAsync(BrokerHost.Wait);

        Assert.Equal(0, SslStreamBufferRelease.GetMode(server)!.Value & LibSsl.SSL_MODE_RELEASE_BUFFERS);
        Assert.True(SslStreamBufferRelease.TryEnable(server));
        Assert.Equal(LibSsl.SSL_MODE_RELEASE_BUFFERS, SslStreamBufferRelease.GetMode(server)!.Value & LibSsl.SSL_MODE_RELEASE_BUFFERS);

        // Both directions still work, across many records, with the buffers freed and re-made between them.
        var payload = RandomNumberGenerator.GetBytes(100_000);
        var received = new byte[payload.Length];
        for (var round = 0; round < 3; round++)
        {
            var write = MqttFrameBatchWriter.WriteChunkedAsync(server, payload, MqttBrokerConnection.TlsWriteChunkSize, CancellationToken.None).AsTask();
            await client.ReadExactlyAsync(received).AsTask().WaitAsync(BrokerHost.Wait);
            await write;
            Assert.Equal(payload, received);
            await client.WriteAsync(payload);
            await server.ReadExactlyAsync(received).AsTask().WaitAsync(BrokerHost.Wait);
            Assert.Equal(payload, received);
        }
    }

    [Fact]
    public async Task A_message_larger_than_the_write_batch_arrives_whole_over_a_tls_listener()
    {
        using var ca = new TestCertificateAuthority();
        using var cert = ca.IssueServerCertificate();
        await using var host = await BrokerHost.StartAsync(tlsCertificate: cert);
        var c = host.Own(new MqttClient(host.TlsOptions("tls-big", cert)));
        await c.ConnectAsync().WaitAsync(BrokerHost.Wait);
        await c.SubscribeAsync("big/#").WaitAsync(BrokerHost.Wait);

        // 200 KB: more than the 64 KB write batch, so it goes out in several batches of 4 KB TLS writes; then a small one after it.
        var payload = RandomNumberGenerator.GetBytes(200 * 1024);
        host.Broker.Publish("big/1", payload, MqttQos.AtLeastOnce);
        host.Broker.Publish("big/2", "after"u8.ToArray(), MqttQos.AtLeastOnce);
        var first = await BrokerHost.NextAsync(c);
        Assert.Equal("big/1", first.Topic);
        Assert.Equal(payload, first.Payload.ToArray());
        Assert.Equal("after"u8.ToArray(), (await BrokerHost.NextAsync(c)).Payload.ToArray());
    }

    [Theory]
    [InlineData("empty", 0, new int[] { 0 })]
    [InlineData("below one chunk", 100, new[] { 100 })]
    [InlineData("exactly one chunk", 8192, new[] { 8192 })]
    [InlineData("one byte over", 8193, new[] { 8192, 1 })]
    [InlineData("a 72 KB snapshot part", 73_728, new[] { 8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192 })]
    public async Task Chunked_writes_never_exceed_the_chunk_and_keep_the_bytes_in_order(string name, int length, int[] expectedWrites)
    {
        _ = name;
        var data = RandomNumberGenerator.GetBytes(length);
        using var recorder = new RecordingStream();
        await MqttFrameBatchWriter.WriteChunkedAsync(recorder, data, 8192, CancellationToken.None);
        Assert.Equal(expectedWrites, recorder.Writes);
        Assert.Equal(data, recorder.ToArray());
    }
}

/// <summary>When the broker gives GC memory back: only a large surplus or heap growth since the last full GC, only when quiet, at most every 30 s.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MqttMemoryTrimTests
{
    private const long MB = 1024 * 1024;

    [Theory]
    [InlineData("burst over, 120 MB free, quiet", 150 * MB, 30 * MB, 30 * MB, 0, 60_000, true)]
    [InlineData("exactly the free threshold", 62 * MB, 30 * MB, 30 * MB, 0, 60_000, true)]
    [InlineData("little free memory, heap as after the last full GC", 40 * MB, 30 * MB, 30 * MB, 0, 60_000, false)]
    [InlineData("heap grew 40 MB since the last full GC (dead gen2 objects)", 80 * MB, 75 * MB, 35 * MB, 0, 60_000, true)]
    [InlineData("heap grew a little since the last full GC", 80 * MB, 75 * MB, 60 * MB, 0, 60_000, false)]
    [InlineData("still allocating (burst going on)", 150 * MB, 30 * MB, 30 * MB, 50 * MB, 60_000, false)]
    [InlineData("just below the quiet limit", 150 * MB, 30 * MB, 30 * MB, 2 * MB - 1, 60_000, true)]
    [InlineData("trimmed 10 s ago", 150 * MB, 30 * MB, 30 * MB, 0, 10_000, false)]
    [InlineData("trimmed exactly 30 s ago", 150 * MB, 30 * MB, 30 * MB, 0, 30_000, true)]
    public void ShouldTrim(string name, long committed, long heap, long heapAfterLastFull, long allocated, long msSinceTrim, bool expected)
    {
        _ = name;
        Assert.Equal(expected, MqttMemoryTrim.ShouldTrim(committed, heap, heapAfterLastFull, allocated, msSinceTrim));
    }
}

/// <summary>A real trim in this process: garbage left behind by a burst is returned. Alone, so no other test allocates meanwhile.</summary>
[Collection(nameof(MqttMemoryTrimProcessTests))]
[CollectionDefinition(nameof(MqttMemoryTrimProcessTests), DisableParallelization = true)]
[Trait("Category", TestCategories.Integration)]
public sealed class MqttMemoryTrimProcessTests
{
    [Fact]
    public async Task After_a_burst_a_quiet_tick_returns_the_free_committed_memory()
    {
        // A burst: ~300 MB of 72 KB frames, up to 64 MB of them alive at a time, like snapshot parts in flight.
        var live = new Queue<byte[]>();
        for (var i = 0; i < 4000; i++)
        {
            live.Enqueue(new byte[72 * 1024]);
            if (live.Count > 900)
            {
                live.Dequeue();
            }
        }
        live.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetGCMemoryInfo();

        var trim = new MqttMemoryTrim();
        var trimmed = false;
        for (var tick = 0; tick < 20 && !trimmed; tick++)
        {
            await Task.Delay(100);
            trimmed = trim.Tick(Environment.TickCount64);
        }
        var after = GC.GetGCMemoryInfo();
        Assert.True(before.TotalCommittedBytes - before.HeapSizeBytes >= MqttMemoryTrim.MinFreeCommittedBytes,
            $"the burst should leave free committed memory: committed {before.TotalCommittedBytes}, heap {before.HeapSizeBytes}");
        Assert.True(trimmed, "a quiet tick after the burst should trim");
        Assert.Equal(1, trim.Trims);
        Assert.True(after.TotalCommittedBytes < before.TotalCommittedBytes - MqttMemoryTrim.MinFreeCommittedBytes / 2,
            $"committed {before.TotalCommittedBytes} -> {after.TotalCommittedBytes}");
        Assert.False(trim.Tick(Environment.TickCount64), "not again within the interval");
    }
}
