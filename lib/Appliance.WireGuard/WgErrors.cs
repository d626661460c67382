using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using Appliance.Netlink;

namespace Appliance.WireGuard;

/// <summary>The one place kernel errnos and transport failures become WireGuard exceptions.</summary>
public static class WgErrors
{
    public static WireGuardException Translate(NetlinkException e, string interfaceName, string operation) => e.Errno switch
    {
        Errno.ENODEV or Errno.ENOENT when operation != "create" => new WireGuardDeviceNotFoundException(interfaceName, e),
        Errno.EOPNOTSUPP when operation == "create" => new WireGuardOperationException(interfaceName, operation, e.Errno, "the kernel has no wireguard link type", e),
        _ => new WireGuardOperationException(interfaceName, operation, e.Errno, e.KernelMessage, e),
    };

    /// <summary>
    /// Maps any failure of the netlink or UAPI channel to a <see cref="WireGuardException"/> subtype, so a caller
    /// (the configurator's rollback) sees one family of errors. Returns false for errors that must pass through
    /// unchanged: WireGuard exceptions already, and cancellation (the caller's, or a timeout the caller asked for).
    /// </summary>
    public static bool TryTranslateTransport(Exception e, string interfaceName, string operation, [NotNullWhen(true)] out WireGuardException? translated)
    {
        translated = e switch
        {
            NetlinkException n => Translate(n, interfaceName, operation),
            NetlinkProtocolException p => new WireGuardProtocolException($"malformed netlink reply to WireGuard {operation} on '{interfaceName}': {p.Message}", p),
            TimeoutException or IOException or SocketException or ObjectDisposedException => new WireGuardTransportException(interfaceName, operation, e),
            _ => null,
        };
        return translated is not null;
    }
}
