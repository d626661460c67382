namespace Appliance.Netlink.Route;

/// <summary>rtnetlink message types and attribute numbers (linux/rtnetlink.h, if_link.h, if_addr.h).</summary>
public static class RtNetlinkConstants
{
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_DELROUTE = 25;
    public const ushort RTM_GETROUTE = 26;

    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_PID = 19;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_INFO_KIND = 1;

    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_FLAGS = 8;

    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;

    /// <summary>ifa_flags / IFA_FLAGS: duplicate address detection failed (IPv6), the address is not usable.</summary>
    public const uint IFA_F_DADFAILED = 0x08;

    /// <summary>IFLA_OPERSTATE (RFC 2863): the kernel says unknown for devices without carrier state (dummy, tun, WireGuard).</summary>
    public const byte IF_OPER_UNKNOWN = 0;
    public const byte IF_OPER_UP = 6;

    /// <summary>ifi_type of the loopback device (if_arp.h).</summary>
    public const ushort ARPHRD_LOOPBACK = 772;

    public const ushort RTA_DST = 1;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_TABLE = 15;

    public const uint IFF_UP = 0x1;
    public const uint IFF_LOOPBACK = 0x8;

    public const byte RT_TABLE_UNSPEC = 0;
    public const int RT_TABLE_MAIN = 254;
    public const byte RTPROT_BOOT = 3;
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_NOWHERE = 255;
    public const byte RTN_UNICAST = 1;

    public const int IfInfoMsgSize = 16;
    public const int IfAddrMsgSize = 8;
    public const int RtMsgSize = 12;
}
