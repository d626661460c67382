#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct timeval</c> (64-bit Linux), used for SO_RCVTIMEO.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct timeval
{
    public long tv_sec;
    public long tv_usec;
}
