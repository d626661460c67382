using System.Runtime.InteropServices;

namespace Appliance.Netlink.Interop;

/// <summary>Owns an AF_NETLINK socket file descriptor; close(2) runs once, on dispose or, if forgotten, on finalization.</summary>
internal sealed class SafeNetlinkHandle : SafeHandle
{
    public SafeNetlinkHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle < 0;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
