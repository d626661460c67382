#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct ifaddrmsg</c> from linux/if_addr.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}
