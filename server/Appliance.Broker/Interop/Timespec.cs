using System.Runtime.InteropServices;

namespace Appliance.Broker.Interop;

/// <summary><c>struct timespec</c> (time.h) on 64-bit Linux: seconds and nanoseconds, each a C <c>long</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public nint tv_sec;
    public nint tv_nsec;
}
