namespace Appliance.Netlink;

/// <summary>The netlink protocol a socket speaks (the third argument of <c>socket(AF_NETLINK, ...)</c>).</summary>
public enum NetlinkProtocol
{
    Route = 0,
    Generic = 16,
}
