#pragma warning disable CS8981 // native C names on purpose
using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary><c>struct nlattr</c> from linux/netlink.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlattr
{
    public ushort nla_len;
    public ushort nla_type;
}
