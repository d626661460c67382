#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Dns.Interop;

/// <summary><c>struct mmsghdr from <sys/socket.h>: one message of recvmmsg/sendmmsg and the bytes it carried</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct mmsghdr
{
    public msghdr msg_hdr;
    public uint msg_len;
}
