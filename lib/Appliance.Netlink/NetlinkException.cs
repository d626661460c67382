namespace Appliance.Netlink;

/// <summary>The kernel (or libc) refused a netlink operation; carries the errno and its native name.</summary>
public class NetlinkException : Exception
{
    public NetlinkException(Errno errno, string operation, string? kernelMessage = null)
        : base(Format(errno, operation, kernelMessage))
    {
        Errno = errno;
        Operation = operation;
        KernelMessage = kernelMessage;
    }

    public NetlinkException()
    {
    }

    public NetlinkException(string message)
        : base(message)
    {
    }

    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public Errno Errno { get; }

    /// <summary>The errno's native name, e.g. <c>EEXIST</c>, or <c>errno 1234</c> for unknown values.</summary>
    public string ErrnoName => ErrnoNames.Of(Errno);

    public string Operation { get; } = "";

    /// <summary>The extended-ACK text the kernel attached (NLMSGERR_ATTR_MSG), if any.</summary>
    public string? KernelMessage { get; }

    private static string Format(Errno errno, string operation, string? kernelMessage) =>
        kernelMessage is null
            ? $"{operation} failed: {ErrnoNames.Of(errno)} ({(int)errno})"
            : $"{operation} failed: {ErrnoNames.Of(errno)} ({(int)errno}): {kernelMessage}";
}
