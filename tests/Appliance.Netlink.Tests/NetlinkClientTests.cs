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

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_silent_kernel_times_out_instead_of_hanging()
    {
        using var socket = new FakeNetlinkSocket(_ => []);
        using var rt = new RouteNetlinkClient(socket, ownsSocket: false);
        Assert.Throws<TimeoutException>(() => rt.SetLinkUp(1, true));
    }
}
