using System.Net;
using Appliance.Netlink.Route;
using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

/// <summary>
/// The allocation-free readers of dump replies (<see cref="RtNetlinkCodec.ReadLink"/>,
/// <see cref="RtNetlinkCodec.TryReadInetAddress"/>) on messages captured from the kernel (6.1, x86-64) in a namespace
/// set up with <c>ip link add eth0 type veth peer name eth0p; ip addr add 192.0.2.10/24 dev eth0; ip addr add
/// 2001:db8::10/64 dev eth0 nodad; ip link add eth1 type veth peer name eth1p</c> (eth1 left down). Link messages are
/// cut to the attributes read (the kernel's ~1.5 KB carry stats, queues and more, which the reader skips).
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RtNetlinkDumpReadTests
{
    private const string Eth0IPv4 = """
        50000000 1400 0200 01000000 e63b0000 | nlmsghdr len=80 RTM_NEWADDR MULTI seq=1 pid=15334
        02 18 80 00 03000000                  | ifaddrmsg AF_INET /24 flags=PERMANENT scope=universe index=3
        0800 0100 c000020a                    | IFA_ADDRESS 192.0.2.10
        0800 0200 c000020a                    | IFA_LOCAL 192.0.2.10
        0900 0300 65746830 00000000           | IFA_LABEL "eth0"
        0800 0800 80000000                    | IFA_FLAGS PERMANENT
        1400 0600 ffffffff ffffffff ed446600 ed446600 | IFA_CACHEINFO forever
        """;

    private const string Eth0IPv6 = """
        48000000 1400 0200 01000000 e63b0000 | nlmsghdr len=72 RTM_NEWADDR MULTI seq=1
        0a 40 82 00 03000000                  | ifaddrmsg AF_INET6 /64 flags=PERMANENT|NODAD scope=universe index=3
        1400 0100 20010db8000000000000000000000010 | IFA_ADDRESS 2001:db8::10 (no IFA_LOCAL for IPv6)
        1400 0600 ffffffff ffffffff f6446600 f6446600 | IFA_CACHEINFO forever
        0800 0800 82000000                    | IFA_FLAGS PERMANENT|NODAD
        """;

    private const string Eth0pLinkLocal = """
        50000000 1400 0200 01000000 e63b0000 | RTM_NEWADDR MULTI
        0a 40 80 fd 02000000                  | ifaddrmsg AF_INET6 /64 PERMANENT scope=link index=2
        1400 0100 fe80000000000000484559fffeead247 | IFA_ADDRESS fe80::4845:59ff:feea:d247
        1400 0600 ffffffff ffffffff e6446600 e6446600 | IFA_CACHEINFO
        0800 0800 80000000                    | IFA_FLAGS PERMANENT
        0500 0b00 03000000                    | IFA_PROTO 3 (kernel link-local)
        """;

    private const string Lo = """
        38000000 1000 0200 01000000 e63b0000 | nlmsghdr len=56 RTM_NEWLINK MULTI seq=1
        00 00 0403 01000000 49000100 00000000 | ifinfomsg type=772 (ARPHRD_LOOPBACK) index=1 flags=UP|LOOPBACK|RUNNING|LOWER_UP
        0700 0300 6c6f0000                    | IFLA_IFNAME "lo"
        0500 1000 00000000                    | IFLA_OPERSTATE 0 (unknown)
        0800 0400 00000100                    | IFLA_MTU 65536
        """;

    private const string Eth1Down = """
        3c000000 1000 0200 01000000 e63b0000 | nlmsghdr len=60 RTM_NEWLINK MULTI seq=1
        00 00 0100 07000000 02100000 00000000 | ifinfomsg type=1 (ether) index=7 flags=BROADCAST|MULTICAST
        0900 0300 65746831 00000000           | IFLA_IFNAME "eth1"
        0500 1000 02000000                    | IFLA_OPERSTATE 2 (down)
        0800 0400 dc050000                    | IFLA_MTU 1500
        """;

    private delegate void Read(in NetlinkMessage message);

    private static void With(string annotated, Read read)
    {
        var reader = new NetlinkMessageReader(Hex.Parse(annotated));
        Assert.True(reader.TryRead(out var message));
        read(message);
    }

    [Fact]
    public void An_IPv4_address_reads_its_local_address_prefix_flags_and_index()
    {
        With(Eth0IPv4, (in NetlinkMessage m) =>
        {
            Assert.True(RtNetlinkCodec.TryReadInetAddress(m, out var a));
            Assert.Equal((3, RtNetlinkConstants.AF_INET, 24, 0, 0x80u), (a.InterfaceIndex, a.Family, (int)a.PrefixLength, (int)a.Scope, a.Flags));
            Assert.True(a.IsIPv4);
            Assert.False(a.IsIPv6LinkLocal);
            Assert.Equal(IPAddress.Parse("192.0.2.10"), new IPAddress(a.Address));
        });
    }

    [Fact]
    public void An_IPv6_address_without_IFA_LOCAL_reads_IFA_ADDRESS_and_the_32_bit_IFA_FLAGS()
    {
        With(Eth0IPv6, (in NetlinkMessage m) =>
        {
            Assert.True(RtNetlinkCodec.TryReadInetAddress(m, out var a));
            Assert.Equal((3, RtNetlinkConstants.AF_INET6, 64, 0x82u), (a.InterfaceIndex, a.Family, (int)a.PrefixLength, a.Flags));
            Assert.False(a.IsIPv6LinkLocal);
            Assert.Equal(IPAddress.Parse("2001:db8::10"), new IPAddress(a.Address));
        });
        With(Eth0pLinkLocal, (in NetlinkMessage m) =>
        {
            Assert.True(RtNetlinkCodec.TryReadInetAddress(m, out var a));
            Assert.True(a.IsIPv6LinkLocal);
            Assert.Equal(RtNetlinkConstants.RT_SCOPE_LINK, a.Scope);
        });
    }

    [Fact]
    public void Links_read_name_type_flags_and_operational_state()
    {
        With(Lo, (in NetlinkMessage m) =>
        {
            var link = RtNetlinkCodec.ReadLink(m);
            Assert.Equal("lo"u8, link.Name);
            Assert.Equal((1, RtNetlinkConstants.IF_OPER_UNKNOWN), (link.Index, link.OperState));
            Assert.True(link.IsLoopback);
            Assert.NotEqual(0u, link.Flags & RtNetlinkConstants.IFF_UP);
        });
        With(Eth1Down, (in NetlinkMessage m) =>
        {
            var link = RtNetlinkCodec.ReadLink(m);
            Assert.Equal("eth1"u8, link.Name);
            Assert.Equal((7, (byte)2, (ushort)1), (link.Index, link.OperState, link.DeviceType));
            Assert.False(link.IsLoopback);
            Assert.Equal(0u, link.Flags & RtNetlinkConstants.IFF_UP);
        });
    }

    [Fact]
    public void Reading_a_dump_message_allocates_nothing()
    {
        var bytes = Hex.Parse(Eth0IPv4);
        var link = Hex.Parse(Eth1Down);
        long total = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                var r = new NetlinkMessageReader(bytes);
                r.TryRead(out var m);
                RtNetlinkCodec.TryReadInetAddress(m, out var a);
                total += a.InterfaceIndex;
                var l = new NetlinkMessageReader(link);
                l.TryRead(out var lm);
                total += RtNetlinkCodec.ReadLink(lm).Index;
            }
            if (pass == 1)
            {
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
        Assert.Equal(2 * 100 * (3 + 7), total);
    }

    [Fact]
    public void An_address_family_other_than_IPv4_and_IPv6_is_skipped_not_refused()
    {
        // An AF_UNSPEC dump also lists e.g. MCTP addresses (AF_MCTP = 45, a 1-byte endpoint id).
        With("""
            20000000 1400 0200 01000000 00000000 | RTM_NEWADDR MULTI
            2d 00 00 00 02000000                  | ifaddrmsg AF_MCTP index=2
            0500 0200 08 000000                   | IFA_LOCAL eid 8 + pad
            """, (in NetlinkMessage m) => Assert.False(RtNetlinkCodec.TryReadInetAddress(m, out _)));
    }

    public static TheoryData<string, string, string> BadMessages => new()
    {
        { "ifaddrmsg cut short", """
            14000000 1400 0200 01000000 00000000 | RTM_NEWADDR, 4 bytes of payload
            02 18 80 00                           | half an ifaddrmsg
            """, "payload of 4 bytes is shorter than its 8-byte header" },
        { "IPv4 without an address", """
            18000000 1400 0200 01000000 00000000 | RTM_NEWADDR
            02 18 80 00 03000000                  | AF_INET index=3, no attributes
            """, "RTM_NEWADDR on #3 without IFA_LOCAL or IFA_ADDRESS" },
        { "IPv4 with 16 address bytes", """
            2c000000 1400 0200 01000000 00000000 | RTM_NEWADDR
            02 18 80 00 03000000                  | AF_INET index=3
            1400 0200 20010db8000000000000000000000010 | IFA_LOCAL of 16 bytes
            """, "RTM_NEWADDR on #3: address of 16 bytes for family 2 (need 4)" },
        { "IPv4 prefix 33", """
            20000000 1400 0200 01000000 00000000 | RTM_NEWADDR
            02 21 80 00 03000000                  | AF_INET /33 index=3
            0800 0200 c000020a                    | IFA_LOCAL 192.0.2.10
            """, "RTM_NEWADDR on #3: prefix length 33 is longer than the address" },
        { "attribute longer than the message", """
            20000000 1400 0200 01000000 00000000 | RTM_NEWADDR
            02 18 80 00 03000000                  | AF_INET index=3
            0c00 0200 c000020a                    | nla_len=12 with 8 bytes left
            """, "truncated netlink attribute: nla_len=12, 8 bytes available" },
        { "link without a name", """
            20000000 1000 0200 01000000 00000000 | RTM_NEWLINK
            00 00 0100 07000000 02100000 00000000 | ifinfomsg index=7
            """, "RTM_NEWLINK #7 without IFLA_IFNAME" },
        { "a route where a link was expected", """
            1c000000 1800 0200 01000000 00000000 | RTM_NEWROUTE
            02 00 00 00 fe 00 00 01 00000000      | rtmsg
            """, "expected RTM_NEWLINK, got type 24" },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void Malformed_messages_are_refused_naming_what_is_wrong(string row, string annotated, string error)
    {
        var bytes = Hex.Parse(annotated);
        var e = Assert.Throws<NetlinkProtocolException>(() =>
        {
            var reader = new NetlinkMessageReader(bytes);
            Assert.True(reader.TryRead(out var m));
            if (m.Type == RtNetlinkConstants.RTM_NEWADDR)
            {
                RtNetlinkCodec.TryReadInetAddress(m, out _);
            }
            else
            {
                RtNetlinkCodec.ReadLink(m);
            }
        });
        Assert.True(e.Message.EndsWith(error, StringComparison.Ordinal), $"{row}: {e.Message}");
    }
}
