#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct genlmsghdr</c> from linux/genetlink.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct genlmsghdr
{
    public byte cmd;
    public byte version;
    public ushort reserved;
}
