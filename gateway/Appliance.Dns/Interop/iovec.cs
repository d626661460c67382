#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Dns.Interop;

/// <summary><c>struct iovec from <bits/types/struct_iovec.h></c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct iovec
{
    public byte* iov_base;
    public nuint iov_len;
}
