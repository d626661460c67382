namespace Appliance.Netlink;

/// <summary>The <c>nlmsg_flags</c> bits from linux/netlink.h.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1069", Justification = "netlink reuses bits per request kind")]
public enum NetlinkMessageFlags : ushort
{
    None = 0,
    Request = 0x1,
    Multi = 0x2,
    Ack = 0x4,
    Echo = 0x8,
    DumpInterrupted = 0x10,

    // GET requests
    Root = 0x100,
    Match = 0x200,
    Dump = Root | Match,

    // NEW requests
    Replace = 0x100,
    Excl = 0x200,
    Create = 0x400,
    Append = 0x800,

    // NLMSG_ERROR replies
    Capped = 0x100,
    AckTlvs = 0x200,
}
