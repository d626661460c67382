using System.Net;
using Appliance.Netlink.Route;
using Appliance.TestSupport;

namespace Appliance.Netlink.Tests;

/// <summary>Golden bytes for every rtnetlink request kind, each annotated with the <c>ip</c> command it means (x86-64 byte order).</summary>
public sealed class RtNetlinkGoldenTests
{
    private delegate int Encode(Span<byte> dst);

    private static readonly Dictionary<string, (Encode Encode, string Golden)> Cases = new()
    {
        ["ip link add wg0 type wireguard"] = (d => RtNetlinkCodec.NewLink(d, "wg0", "wireguard"), """
            3c000000 1000 0506 00000000 00000000 | nlmsghdr len=60 RTM_NEWLINK REQUEST|ACK|EXCL|CREATE seq=0 pid=0
            00 00 0000 00000000 00000000 00000000 | ifinfomsg AF_UNSPEC index=0
            0800 0300 77673000                    | IFLA_IFNAME "wg0"
            1400 1280                             | IFLA_LINKINFO (nested)
            0e00 0100 776972656775617264 000000   |   IFLA_INFO_KIND "wireguard" + pad
            """),
        ["ip link del wg0"] = (d => RtNetlinkCodec.DeleteLink(d, "wg0"), """
            28000000 1100 0500 00000000 00000000 | RTM_DELLINK REQUEST|ACK
            00 00 0000 00000000 00000000 00000000 | ifinfomsg
            0800 0300 77673000                    | IFLA_IFNAME "wg0"
            """),
        ["ip link set dev #7 up mtu 1420"] = (d => RtNetlinkCodec.SetLink(d, 7, true, 1420), """
            28000000 1000 0500 00000000 00000000 | RTM_NEWLINK REQUEST|ACK
            00 00 0000 07000000 01000000 01000000 | ifinfomsg index=7 flags=IFF_UP change=IFF_UP
            0800 0400 8c050000                    | IFLA_MTU 1420
            """),
        ["ip link set dev #7 down"] = (d => RtNetlinkCodec.SetLink(d, 7, false, null), """
            20000000 1000 0500 00000000 00000000 | RTM_NEWLINK REQUEST|ACK
            00 00 0000 07000000 00000000 01000000 | ifinfomsg index=7 flags=0 change=IFF_UP
            """),
        ["ip link show wg0"] = (d => RtNetlinkCodec.GetLink(d, "wg0"), """
            28000000 1200 0100 00000000 00000000 | RTM_GETLINK REQUEST
            00 00 0000 00000000 00000000 00000000 | ifinfomsg
            0800 0300 77673000                    | IFLA_IFNAME "wg0"
            """),
        ["ip link show"] = (d => RtNetlinkCodec.GetLink(d, null), """
            20000000 1200 0103 00000000 00000000 | RTM_GETLINK REQUEST|DUMP
            00 00 0000 00000000 00000000 00000000 | ifinfomsg
            """),
        ["ip addr add 10.9.0.1/24 dev #7"] = (d => RtNetlinkCodec.Address(d, true, new RtAddress(7, IPAddress.Parse("10.9.0.1"), 24)), """
            28000000 1400 0506 00000000 00000000 | RTM_NEWADDR REQUEST|ACK|EXCL|CREATE
            02 18 00 00 07000000                  | ifaddrmsg AF_INET /24 scope universe index=7
            0800 0200 0a090001                    | IFA_LOCAL 10.9.0.1
            0800 0100 0a090001                    | IFA_ADDRESS 10.9.0.1
            """),
        ["ip addr del fd00::1/64 dev #7"] = (d => RtNetlinkCodec.Address(d, false, new RtAddress(7, IPAddress.Parse("fd00::1"), 64)), """
            40000000 1500 0500 00000000 00000000 | RTM_DELADDR REQUEST|ACK
            0a 40 00 00 07000000                  | ifaddrmsg AF_INET6 /64 index=7
            1400 0200 fd000000000000000000000000000001 | IFA_LOCAL fd00::1
            1400 0100 fd000000000000000000000000000001 | IFA_ADDRESS fd00::1
            """),
        ["ip addr show"] = (d => RtNetlinkCodec.DumpAddresses(d), """
            18000000 1600 0103 00000000 00000000 | RTM_GETADDR REQUEST|DUMP
            00 00 00 00 00000000                  | ifaddrmsg AF_UNSPEC
            """),
        ["ip route add 10.10.0.0/16 dev #7 table 100"] = (d => RtNetlinkCodec.Route(d, true, new RtRoute(IPNetwork.Parse("10.10.0.0/16"), 7, 100)), """
            34000000 1800 0506 00000000 00000000 | RTM_NEWROUTE REQUEST|ACK|EXCL|CREATE
            02 10 00 00 64 03 fd 01 00000000      | rtmsg AF_INET dst_len=16 table=100 RTPROT_BOOT RT_SCOPE_LINK RTN_UNICAST
            0800 0f00 64000000                    | RTA_TABLE 100
            0800 0100 0a0a0000                    | RTA_DST 10.10.0.0
            0800 0400 07000000                    | RTA_OIF 7
            """),
        ["ip route add fd01::/48 via fd00::2 dev #7 metric 50"] = (d => RtNetlinkCodec.Route(d, true, new RtRoute(IPNetwork.Parse("fd01::/48"), 7, 254, IPAddress.Parse("fd00::2"), 50)), """
            5c000000 1800 0506 00000000 00000000 | RTM_NEWROUTE REQUEST|ACK|EXCL|CREATE
            0a 30 00 00 fe 03 00 01 00000000      | rtmsg AF_INET6 dst_len=48 table=main RTPROT_BOOT RT_SCOPE_UNIVERSE RTN_UNICAST
            0800 0f00 fe000000                    | RTA_TABLE 254
            1400 0100 fd010000000000000000000000000000 | RTA_DST fd01::
            1400 0500 fd000000000000000000000000000002 | RTA_GATEWAY fd00::2
            0800 0400 07000000                    | RTA_OIF 7
            0800 0600 32000000                    | RTA_PRIORITY 50
            """),
        ["ip route del 10.10.0.0/16 dev #7 table 1000"] = (d => RtNetlinkCodec.Route(d, false, new RtRoute(IPNetwork.Parse("10.10.0.0/16"), 7, 1000)), """
            34000000 1900 0500 00000000 00000000 | RTM_DELROUTE REQUEST|ACK
            02 10 00 00 00 00 ff 00 00000000      | rtmsg AF_INET /16 table=RT_TABLE_UNSPEC (see RTA_TABLE) RT_SCOPE_NOWHERE
            0800 0f00 e8030000                    | RTA_TABLE 1000
            0800 0100 0a0a0000                    | RTA_DST 10.10.0.0
            0800 0400 07000000                    | RTA_OIF 7
            """),
        ["ip route show table all"] = (d => RtNetlinkCodec.DumpRoutes(d), """
            1c000000 1a00 0103 00000000 00000000 | RTM_GETROUTE REQUEST|DUMP
            00 00 00 00 00 00 00 00 00000000      | rtmsg AF_UNSPEC
            """),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Names))]
    public void Encodes_golden_bytes(string command)
    {
        var (encode, golden) = Cases[command];
        var buffer = new byte[512];
        int n = encode(buffer);
        Hex.Equal(golden, buffer.AsSpan(0, n));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Parses_an_RTM_NEWLINK_reply_and_skips_unknown_attributes()
    {
        var reply = Hex.Parse("""
            4c000000 1000 0200 01000000 00000000 | RTM_NEWLINK MULTI len=76
            00 00 0000 07000000 c1100000 00000000 | ifinfomsg index=7 flags=UP|...
            0800 0300 77673000                    | IFLA_IFNAME "wg0"
            0800 0400 8c050000                    | IFLA_MTU 1420
            0800 ff00 01020304                    | unknown attribute 255 (skipped)
            1400 1200                             | IFLA_LINKINFO (no NESTED flag, as older kernels send)
            0e00 0100 776972656775617264 000000   |   IFLA_INFO_KIND "wireguard"
            """);
        var r = new NetlinkMessageReader(reply);
        Assert.True(r.TryRead(out var m));
        var link = RtNetlinkCodec.ParseLink(m);
        Assert.Equal(new RtLink(7, "wg0", 1420, true, "wireguard"), link);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Parses_an_RTM_NEWROUTE_reply_with_a_custom_table()
    {
        var b = new byte[256];
        int n = RtNetlinkCodec.Route(b, true, new RtRoute(IPNetwork.Parse("10.10.0.0/16"), 7, 1000, IPAddress.Parse("10.9.0.2"), 5));
        var r = new NetlinkMessageReader(b.AsSpan(0, n));
        Assert.True(r.TryRead(out var m));
        Assert.True(RtNetlinkCodec.TryParseRoute(m, out var route));
        Assert.Equal(new RtRoute(IPNetwork.Parse("10.10.0.0/16"), 7, 1000, IPAddress.Parse("10.9.0.2"), 5), route);
    }
}
