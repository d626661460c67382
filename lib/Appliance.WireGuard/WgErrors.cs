using Appliance.Netlink;

namespace Appliance.WireGuard;

/// <summary>The one place kernel errnos become WireGuard exceptions.</summary>
public static class WgErrors
{
    public static WireGuardException Translate(NetlinkException e, string interfaceName, string operation) => e.Errno switch
    {
        Errno.ENODEV or Errno.ENOENT when operation != "create" => new WireGuardDeviceNotFoundException(interfaceName, e),
        Errno.EOPNOTSUPP when operation == "create" => new WireGuardOperationException(interfaceName, operation, e.Errno, "the kernel has no wireguard link type", e),
        _ => new WireGuardOperationException(interfaceName, operation, e.Errno, e.KernelMessage, e),
    };
}
