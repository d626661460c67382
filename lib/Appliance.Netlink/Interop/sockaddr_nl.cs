#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct sockaddr_nl</c> from linux/netlink.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}
