#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Dns.Interop;

/// <summary><c>struct msghdr from <bits/socket.h> (pointer-sized fields give the C layout on 32- and 64-bit)</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct msghdr
{
    public byte* msg_name;
    public uint msg_namelen;
    public iovec* msg_iov;
    public nuint msg_iovlen;
    public byte* msg_control;
    public nuint msg_controllen;
    public int msg_flags;
}
