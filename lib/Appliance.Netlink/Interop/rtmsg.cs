#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct rtmsg</c> from linux/rtnetlink.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtmsg
{
    public byte rtm_family;
    public byte rtm_dst_len;
    public byte rtm_src_len;
    public byte rtm_tos;
    public byte rtm_table;
    public byte rtm_protocol;
    public byte rtm_scope;
    public byte rtm_type;
    public uint rtm_flags;
}
