using Appliance.Netlink.Generic;
using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

public sealed class GenericNetlinkGoldenTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void CTRL_CMD_GETFAMILY_wireguard()
    {
        // genl ctrl get name wireguard
        var b = new byte[64];
        int n = GenericNetlinkCodec.GetFamily(b, "wireguard");
        Hex.Equal("""
            24000000 1000 0100 00000000 00000000 | nlmsghdr len=36 GENL_ID_CTRL REQUEST
            03 01 0000                           | genlmsghdr CTRL_CMD_GETFAMILY version 1
            0e00 0200 776972656775617264 000000  | CTRL_ATTR_FAMILY_NAME "wireguard"
            """, b.AsSpan(0, n));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Resolves_the_family_id_from_a_scripted_reply()
    {
        using var socket = new FakeNetlinkSocket(req =>
        {
            var b = new byte[128];
            var w = new NetlinkWriter(b);
            int m = w.BeginMessage(GenericNetlinkCodec.GENL_ID_CTRL, NetlinkMessageFlags.None, FakeNetlinkSocket.SequenceOf(req));
            w.WriteGenericHeader(1, 2); // CTRL_CMD_NEWFAMILY
            w.WriteString(GenericNetlinkCodec.CTRL_ATTR_FAMILY_NAME, "wireguard");
            w.WriteU16(GenericNetlinkCodec.CTRL_ATTR_FAMILY_ID, 0x1b);
            w.EndMessage(m);
            return [b[..w.Length]];
        });
        using var client = new NetlinkClient(socket, ownsSocket: false);
        Assert.True(GenericNetlinkFamily.TryResolve(client, "wireguard", out var id));
        Assert.Equal(0x1b, id);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Unknown_family_is_false_not_an_exception()
    {
        using var socket = new FakeNetlinkSocket(req => [FakeNetlinkSocket.Ack(req, -(int)Errno.ENOENT)]);
        using var client = new NetlinkClient(socket, ownsSocket: false);
        Assert.False(GenericNetlinkFamily.TryResolve(client, "wireguard", out _));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void Real_kernel_answers_for_the_nlctrl_family()
    {
        // Every kernel has the controller family itself; proves socket/bind/send/recv and the reply parser.
        using var client = new NetlinkClient(NetlinkSocket.Open(NetlinkProtocol.Generic));
        Assert.True(GenericNetlinkFamily.TryResolve(client, "nlctrl", out var id));
        Assert.Equal(GenericNetlinkCodec.GENL_ID_CTRL, id);
        Assert.False(GenericNetlinkFamily.TryResolve(client, "apwg-nofamily", out _));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public void Real_kernel_rejection_carries_the_extended_ack_text()
    {
        // A family name longer than GENL_NAMSIZ fails the kernel's attribute policy; the text comes back as extack.
        using var client = new NetlinkClient(NetlinkSocket.Open(NetlinkProtocol.Generic));
        var e = Assert.Throws<NetlinkException>(() => GenericNetlinkFamily.TryResolve(client, "apwg-name-longer-than-16", out _));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.False(string.IsNullOrEmpty(e.KernelMessage));
    }
}
