using Appliance.Netlink;

namespace Appliance.WireGuard;

/// <summary>The kernel or the userspace implementation refused an operation; carries the errno by name (EPERM, EEXIST, EINVAL...).</summary>
public sealed class WireGuardOperationException : WireGuardException
{
    public WireGuardOperationException(string interfaceName, string operation, Errno errno, string? detail = null, Exception? inner = null)
        : base($"WireGuard {operation} on '{interfaceName}' failed: {ErrnoNames.Of(errno)}{(detail is null ? "" : ": " + detail)}", inner)
    {
        InterfaceName = interfaceName;
        Operation = operation;
        Errno = errno;
    }

    public string InterfaceName { get; }

    public string Operation { get; }

    public Errno Errno { get; }

    public string ErrnoName => ErrnoNames.Of(Errno);
}
