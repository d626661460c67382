using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Appliance.Dns.Interop;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// The batched UDP loop (recvmmsg/sendmmsg) on loopback: queued datagrams are taken several per call, every answer
/// goes to the socket that asked, a query waiting for an upstream does not hold up its batch, and a datagram too
/// long for a slot is dropped without harm.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class UdpBatchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task A_burst_from_several_clients_gets_every_answer_back_to_its_own_socket(int batch)
    {
        await using var s = await DnsTestServer.StartAsync(o => o.UdpBatchSize = batch);
        var ep = s.LocalEndpoints[0];
        string[] names = ["node1.mesh", "phone.mesh", "ghost.mesh"];
        var clients = Enumerable.Range(0, 4).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
        try
        {
            foreach (var c in clients)
            {
                c.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            // Every client sends all of its queries before anyone reads: the server finds them queued.
            for (var i = 0; i < 50; i++)
            {
                for (var k = 0; k < clients.Length; k++)
                {
                    await clients[k].SendToAsync(DnsTestClient.Query(names[i % names.Length], DnsRecordType.A, (ushort)((k * 1000) + i)), ep);
                }
            }
            for (var k = 0; k < clients.Length; k++)
            {
                var ids = new HashSet<ushort>();
                var buf = new byte[1500];
                for (var i = 0; i < 50; i++)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    var n = await clients[k].ReceiveAsync(buf, SocketFlags.None, cts.Token);
                    var m = DnsMessage.Parse(buf.AsSpan(0, n));
                    Assert.InRange(m.Id, k * 1000, (k * 1000) + 49);
                    var name = names[(m.Id - (k * 1000)) % names.Length];
                    Assert.Equal(name, m.Questions.Single().Name);
                    if (name == "ghost.mesh")
                    {
                        Assert.Equal(DnsResponseCode.NXDomain, m.ResponseCode);
                    }
                    else
                    {
                        Assert.Equal(name == "node1.mesh" ? "10.10.0.1" : "10.10.0.100", m.Answers.Single().Data.ToString());
                    }
                    ids.Add(m.Id);
                }
                Assert.Equal(50, ids.Count);
            }
            Assert.Equal(200, s.Statistics.UdpReceived);
            Assert.Equal(200, s.Statistics.Responses);
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task Queued_datagrams_are_taken_several_per_receive_call()
    {
        using var gate = new GateHandler();
        await using var l = Listener(gate, 16, out var stats);
        using var client = Client();
        // The first query holds the loop inside the handler while 40 more queue in the socket buffer.
        await client.SendToAsync(DnsTestClient.Query("first.test", DnsRecordType.A, 1), l.Endpoint);
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(5)), "the handler saw the first query");
        for (ushort i = 2; i <= 41; i++)
        {
            await client.SendToAsync(DnsTestClient.Query($"q{i}.test", DnsRecordType.A, i), l.Endpoint);
        }
        gate.Release.Set();
        var ids = await ReceiveIdsAsync(client, 41);
        Assert.Equal(Enumerable.Range(1, 41).Select(i => (ushort)i).ToHashSet(), ids);
        Assert.Equal(41, stats.UdpReceived);
        // 1 call for the first query, then at most ceil(40 / 16) = 3 for the queued ones (plus one if a datagram
        // was still in flight when the loop came back).
        Assert.InRange(stats.UdpReceiveCalls, 2, 5);
    }

    [Fact]
    public async Task A_query_waiting_for_an_upstream_does_not_hold_up_the_rest_of_its_batch()
    {
        using var gate = new GateHandler();
        await using var l = Listener(gate, 16, out _);
        using var client = Client();
        await client.SendToAsync(DnsTestClient.Query("first.test", DnsRecordType.A, 1), l.Endpoint);
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(5)));
        await client.SendToAsync(DnsTestClient.Query("slow.test", DnsRecordType.A, 2), l.Endpoint);
        await client.SendToAsync(DnsTestClient.Query("fast1.test", DnsRecordType.A, 3), l.Endpoint);
        await client.SendToAsync(DnsTestClient.Query("fast2.test", DnsRecordType.A, 4), l.Endpoint);
        gate.Release.Set();
        Assert.Equal(new HashSet<ushort> { 1, 3, 4 }, await ReceiveIdsAsync(client, 3));
        // The slow answer comes when its upstream does, with its own question (its buffers left the batch intact).
        gate.Slow.SetResult();
        var buf = new byte[512];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var n = await client.ReceiveAsync(buf, SocketFlags.None, cts.Token);
        var m = DnsMessage.Parse(buf.AsSpan(0, n));
        Assert.Equal(2, m.Id);
        Assert.Equal("slow.test", m.Questions.Single().Name);
    }

    [Fact]
    public async Task A_datagram_longer_than_a_slot_is_dropped_and_counted_and_serving_goes_on()
    {
        await using var s = await DnsTestServer.StartAsync(o => o.UdpBatchSize = 8);
        var ep = s.LocalEndpoints[0];
        using var client = Client();
        var huge = new byte[DnsUdpListener.BatchQuerySize + 1000];
        DnsTestClient.Query("node1.mesh", DnsRecordType.A, 9).CopyTo(huge, 0);
        await client.SendToAsync(huge, ep);
        await client.SendToAsync(DnsTestClient.Query("node1.mesh", DnsRecordType.A, 10), ep);
        var buf = new byte[512];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var n = await client.ReceiveAsync(buf, SocketFlags.None, cts.Token);
        Assert.Equal(10, DnsMessage.Parse(buf.AsSpan(0, n)).Id);
        Assert.Equal(1, s.Statistics.Dropped);
        Assert.Equal(2, s.Statistics.UdpReceived);
    }

    [Fact]
    public async Task Batched_loop_serves_ipv6_clients()
    {
        await using var s = await DnsTestServer.StartAsync(o => o.UdpBatchSize = 16, address: IPAddress.IPv6Loopback);
        var m = await DnsTestClient.UdpAsync(s.LocalEndpoints[0], "node2.mesh", DnsRecordType.AAAA);
        Assert.Equal("fd10::2", m.Answers.Single().Data.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public async Task A_batch_size_out_of_range_is_refused_naming_the_option(int size)
    {
        var o = new DnsServerOptions { UdpBatchSize = size };
        o.Listen.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var s = new DnsServer(o);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => s.StartAsync());
        Assert.Contains("UdpBatchSize", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_ends_a_loop_blocked_in_recvmmsg()
    {
        using var gate = new GateHandler();
        var l = Listener(gate, 16, out _);
        await Task.Delay(100);
        await l.DisposeAsync();
        Assert.True(l.Completion.IsCompleted);
    }

    private static Socket Client()
    {
        var c = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        c.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return c;
    }

    private static async Task<HashSet<ushort>> ReceiveIdsAsync(Socket client, int count)
    {
        var ids = new HashSet<ushort>();
        var buf = new byte[512];
        for (var i = 0; i < count; i++)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var n = await client.ReceiveAsync(buf, SocketFlags.None, cts.Token);
            ids.Add(BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(0, n)));
        }
        return ids;
    }

    private static RunningListener Listener(IDnsRequestHandler handler, int batch, out DnsServerStatistics stats)
    {
        stats = new DnsServerStatistics();
        var options = new DnsServerOptions { UdpBatchSize = batch };
        var listener = new DnsUdpListener(new IPEndPoint(IPAddress.Loopback, 0), handler, stats, options);
        var cts = new CancellationTokenSource();
        listener.Start(cts.Token);
        return new RunningListener(listener, cts);
    }

    private sealed class RunningListener(DnsUdpListener listener, CancellationTokenSource cts) : IAsyncDisposable
    {
        public IPEndPoint Endpoint => listener.LocalEndpoint;

        public Task Completion => listener.Completion;

        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            listener.Stop();
            await listener.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            cts.Dispose();
        }
    }

    /// <summary>
    /// Echoes each query back as its answer (QR set). "first.test" blocks until <see cref="Release"/> (so the next
    /// datagrams queue); "slow.test" completes only when <see cref="Slow"/> does, like a forwarded query.
    /// </summary>
    private sealed class GateHandler : IDnsRequestHandler, IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public TaskCompletionSource Slow { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<int> HandleAsync(DnsRequest request, Memory<byte> response, CancellationToken cancellationToken)
        {
            var name = DnsName.ToPresentation(request.Query.Span.Slice(DnsHeader.Length, request.Parsed.QNameLength));
            if (name == "first.test")
            {
                Entered.Set();
                Release.Wait(TimeSpan.FromSeconds(10));
            }
            return name == "slow.test" ? SlowAsync(request, response) : ValueTask.FromResult(Echo(request.Query.Span, response.Span));
        }

        private async ValueTask<int> SlowAsync(DnsRequest request, Memory<byte> response)
        {
            await Slow.Task;
            // Reads the query after the wait: it must still be this query's bytes, not a later datagram's.
            return Echo(request.Query.Span, response.Span);
        }

        private static int Echo(ReadOnlySpan<byte> query, Span<byte> response)
        {
            query.CopyTo(response);
            response[2] |= 0x80;
            return query.Length;
        }

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }
}

/// <summary>The recvmmsg/sendmmsg structs have the C layout of this platform (x86-64 / arm64: LP64).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MmsgLayoutTests
{
    [Fact]
    public void Struct_sizes_and_offsets_match_the_c_headers()
    {
        var p = IntPtr.Size;
        Assert.Equal(2 * p, Marshal.SizeOf<iovec>());
        Assert.Equal(0, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_name)));
        Assert.Equal(p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_namelen)));
        Assert.Equal(2 * p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iov)));
        Assert.Equal(3 * p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iovlen)));
        Assert.Equal(4 * p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_control)));
        Assert.Equal(5 * p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_controllen)));
        Assert.Equal(6 * p, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_flags)));
        Assert.Equal(7 * p, Marshal.SizeOf<msghdr>());
        Assert.Equal(7 * p, (int)Marshal.OffsetOf<mmsghdr>(nameof(mmsghdr.msg_len)));
        Assert.Equal(8 * p, Marshal.SizeOf<mmsghdr>());
        if (p == 8)
        {
            // glibc x86-64: sizeof(struct msghdr) == 56, sizeof(struct mmsghdr) == 64.
            Assert.Equal(56, Marshal.SizeOf<msghdr>());
            Assert.Equal(64, Marshal.SizeOf<mmsghdr>());
        }
    }
}
