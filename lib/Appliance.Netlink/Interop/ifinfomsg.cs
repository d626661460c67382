#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct ifinfomsg</c> from linux/rtnetlink.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}
