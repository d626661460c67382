using Appliance.Netlink.Route;
using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

public sealed class NetlinkClientTests
{
    public static TheoryData<string, int, Errno> KernelErrors => new()
    {
        { "link exists", -17, Errno.EEXIST },
        { "no such device", -19, Errno.ENODEV },
        { "not permitted", -1, Errno.EPERM },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(KernelErrors))]
    public void Kernel_errors_become_NetlinkException_with_the_errno_name(string name, int error, Errno expected)
    {
        _ = name;
        using var socket = new FakeNetlinkSocket(req => [FakeNetlinkSocket.Ack(req, error, "boom from kernel")]);
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        var e = Assert.Throws<NetlinkException>(() => rt.SetLinkMtu(7, 1420));
        Assert.Equal(expected, e.Errno);
        Assert.Equal(expected.ToString(), e.ErrnoName);
        Assert.Equal("boom from kernel", e.KernelMessage);
        Assert.Contains(expected.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Stamps_a_fresh_sequence_and_the_ack_flag_and_matches_the_reply()
    {
        using var socket = new FakeNetlinkSocket(req =>
        {
            // A stale reply with another sequence number comes first and must be ignored.
            var stale = FakeNetlinkSocket.Ack(req, -(int)Errno.EPERM);
            BitConverter.TryWriteBytes(stale.AsSpan(8), FakeNetlinkSocket.SequenceOf(req) - 1);
            return [stale, FakeNetlinkSocket.Ack(req)];
        });
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        rt.SetLinkUp(7, true);
        rt.SetLinkUp(7, false);
        Assert.Equal(2, socket.Sent.Count);
        Assert.NotEqual(FakeNetlinkSocket.SequenceOf(socket.Sent[0]), FakeNetlinkSocket.SequenceOf(socket.Sent[1]));
        Assert.Equal((ushort)(NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack), BitConverter.ToUInt16(socket.Sent[0], 6));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Follows_a_multi_part_dump_across_datagrams_until_DONE()
    {
        using var socket = new FakeNetlinkSocket(req =>
        {
            var replies = new List<byte[]>();
            for (int i = 1; i <= 3; i++)
            {
                var b = new byte[128];
                var w = new NetlinkWriter(b);
                int m = w.BeginMessage(RtNetlinkConstants.RTM_NEWLINK, NetlinkMessageFlags.Multi, FakeNetlinkSocket.SequenceOf(req));
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(w.Reserve(16)[4..], i);
                w.WriteString(RtNetlinkConstants.IFLA_IFNAME, "if" + i);
                w.EndMessage(m);
                replies.Add(b[..w.Length]);
            }
            replies.Add(FakeNetlinkSocket.Done(req));
            return replies;
        });
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        var links = rt.GetLinks();
        Assert.Equal(["if1", "if2", "if3"], links.Select(l => l.Name));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_dump_ending_in_an_error_throws()
    {
        using var socket = new FakeNetlinkSocket(req => [FakeNetlinkSocket.Done(req, -(int)Errno.ENODEV)]);
        using var client = new NetlinkClient(socket, ownsSocket: false);
        var req = new byte[64];
        int n = RtNetlinkCodec.GetLink(req, null);
        var e = Assert.Throws<NetlinkException>(() => client.Dump(req.AsSpan(0, n), "dump", (in NetlinkMessage _) => { }));
        Assert.Equal(Errno.ENODEV, e.Errno);
    }

    /// <summary>A three-part RTM_NEWLINK dump (if1..if3) and DONE; <paramref name="interrupted"/> marks the second part NLM_F_DUMP_INTR.</summary>
    private static List<byte[]> LinkDump(byte[] req, bool interrupted, string prefix = "if")
    {
        var replies = new List<byte[]>();
        for (int i = 1; i <= 3; i++)
        {
            var b = new byte[128];
            var w = new NetlinkWriter(b);
            var flags = NetlinkMessageFlags.Multi | (interrupted && i == 2 ? NetlinkMessageFlags.DumpInterrupted : 0);
            int m = w.BeginMessage(RtNetlinkConstants.RTM_NEWLINK, flags, FakeNetlinkSocket.SequenceOf(req));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(w.Reserve(16)[4..], i);
            w.WriteString(RtNetlinkConstants.IFLA_IFNAME, prefix + i);
            w.EndMessage(m);
            replies.Add(b[..w.Length]);
        }
        replies.Add(FakeNetlinkSocket.Done(req));
        return replies;
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_handler_that_throws_still_drains_the_dump_to_DONE()
    {
        using var socket = new FakeNetlinkSocket(req => LinkDump(req, interrupted: false));
        using var client = new NetlinkClient(socket, ownsSocket: false);
        var req = new byte[64];
        int n = RtNetlinkCodec.GetLink(req, null);
        int calls = 0;
        var e = Assert.Throws<FormatException>(() => client.Dump(req.AsSpan(0, n), "dump", (in NetlinkMessage _) =>
        {
            calls++;
            throw new FormatException("handler failed");
        }));
        Assert.Equal("handler failed", e.Message);
        Assert.Equal(1, calls);
        Assert.Equal(0, socket.Pending);
        // The socket is usable for the next dump.
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        Assert.Equal(3, rt.GetLinks().Count);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void An_interrupted_dump_is_drained_and_retried_and_only_the_clean_attempt_counts()
    {
        int attempts = 0;
        using var socket = new FakeNetlinkSocket(req => LinkDump(req, interrupted: ++attempts == 1, prefix: "try" + attempts + "-"));
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        var links = rt.GetLinks();
        Assert.Equal(["try2-1", "try2-2", "try2-3"], links.Select(l => l.Name));
        Assert.Equal(2, socket.Sent.Count);
        Assert.Equal(0, socket.Pending);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_dump_interrupted_every_time_gives_up_with_EINTR_after_a_bounded_number_of_attempts()
    {
        using var socket = new FakeNetlinkSocket(req => LinkDump(req, interrupted: true));
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        var e = Assert.Throws<NetlinkException>(() => rt.GetLinks());
        Assert.Equal(Errno.EINTR, e.Errno);
        Assert.Equal(NetlinkClient.MaxDumpAttempts, socket.Sent.Count);
        Assert.Equal(0, socket.Pending);

        // Without a restart callback there is no retry, but the dump is still drained.
        using var client = new NetlinkClient(socket, ownsSocket: false);
        var req = new byte[64];
        int n = RtNetlinkCodec.GetLink(req, null);
        Assert.Equal(Errno.EINTR, Assert.Throws<NetlinkException>(() => client.Dump(req.AsSpan(0, n), "dump", (in NetlinkMessage _) => { })).Errno);
        Assert.Equal(0, socket.Pending);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Concurrent_callers_of_one_rtnetlink_client_each_get_their_own_whole_reply()
    {
        // The request buffer, receive buffer and reply stream are shared; unserialized callers would read each
        // other's replies (wrong sequence, lost DONE) or encode into each other's requests.
        using var socket = new FakeNetlinkSocket(req => LinkDump(req, interrupted: false, prefix: "s" + FakeNetlinkSocket.SequenceOf(req) + "-"));
        using var rt = new RouteNetlinkClient(new SlowReceiver(socket), ownsSocket: false);
        Parallel.For(0, 100, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            var links = rt.GetLinks();
            Assert.Equal(3, links.Count);
            Assert.Single(links.Select(l => l.Name[..l.Name.IndexOf('-', StringComparison.Ordinal)]).Distinct());
        });
        Assert.Equal(100, socket.Sent.Count);
        Assert.Equal(0, socket.Pending);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_silent_kernel_times_out_instead_of_hanging()
    {
        using var socket = new FakeNetlinkSocket(_ => []);
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        Assert.Throws<TimeoutException>(() => rt.SetLinkUp(1, true));
    }

    /// <summary>Delays every receive, so one caller's exchange spans long enough for another to cut in.</summary>
    private sealed class SlowReceiver(INetlinkSocket inner) : INetlinkSocket
    {
        private readonly object _gate = new();

        public void Send(ReadOnlySpan<byte> datagram)
        {
            lock (_gate)
            {
                inner.Send(datagram);
            }
        }

        public int Receive(Span<byte> buffer)
        {
            Thread.Sleep(1);
            lock (_gate)
            {
                return inner.Receive(buffer);
            }
        }

        public void Dispose()
        {
        }
    }
}
