#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct nlmsghdr</c> from linux/netlink.h. The codec writes spans; this type pins the layout in tests.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}
