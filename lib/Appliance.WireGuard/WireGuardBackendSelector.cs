using Appliance.Netlink;
using Appliance.Netlink.Generic;
using Appliance.Netlink.Route;
using Appliance.WireGuard.Genl;
using Appliance.WireGuard.Uapi;

namespace Appliance.WireGuard;

/// <summary>Picks the WireGuard backend: the kernel module when its genl family resolves, else wireguard-go over UAPI.</summary>
public static class WireGuardBackendSelector
{
    /// <summary>Kernel when the <c>wireguard</c> generic netlink family exists in that namespace, else Userspace.</summary>
    public static WireGuardBackendKind Detect(string? networkNamespacePath = null)
    {
        try
        {
            using var client = new NetlinkClient(NetlinkSocket.Open(NetlinkProtocol.Generic, networkNamespacePath));
            return GenericNetlinkFamily.TryResolve(client, WgGenlConstants.WG_GENL_NAME, out _) ? WireGuardBackendKind.Kernel : WireGuardBackendKind.Userspace;
        }
        catch (NetlinkException)
        {
            return WireGuardBackendKind.Userspace;
        }
    }

    public static IWireGuardBackend Create(WireGuardBackendKind kind = WireGuardBackendKind.Auto, WireGuardGoOptions? userspace = null, string? networkNamespacePath = null)
    {
        if (kind == WireGuardBackendKind.Auto)
        {
            kind = Detect(networkNamespacePath);
        }
        if (kind == WireGuardBackendKind.Kernel)
        {
            return KernelWireGuardBackend.Open(networkNamespacePath);
        }
        userspace ??= new WireGuardGoOptions();
        return new UserspaceWireGuardBackend(
            new UapiSocketTransport(userspace.SocketDirectory),
            new WireGuardGoLauncher(userspace),
            RouteNetlinkClient.Open(networkNamespacePath),
            ownsRoute: true);
    }
}
