namespace Appliance.Netlink;

/// <summary>The control message types every netlink family shares (linux/netlink.h).</summary>
public static class NetlinkMessageType
{
    public const ushort Noop = 1;
    public const ushort Error = 2;
    public const ushort Done = 3;
    public const ushort Overrun = 4;

    /// <summary>Size of <c>struct nlmsghdr</c>.</summary>
    public const int HeaderSize = 16;

    /// <summary>Size of <c>struct nlattr</c>.</summary>
    public const int AttributeHeaderSize = 4;

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: netlink pads everything to 4 bytes.</summary>
    public static int Align(int length) => (length + 3) & ~3;
}
