#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct nlmsgerr</c> from linux/netlink.h (error code + the header of the failed request).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}
