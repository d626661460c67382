using System.Net;
using System.Net.Sockets;
using Appliance.Server.Ipam;

namespace Appliance.Server.Store;

/// <summary>One network's IPv4 and IPv6 pools.</summary>
internal sealed class NetworkPools
{
    public AddressPool V4 { get; } = new(AddressFamily.InterNetwork);
    public AddressPool V6 { get; } = new(AddressFamily.InterNetworkV6);

    public AddressPool For(AddressFamily family) => family == AddressFamily.InterNetwork ? V4 : V6;

    public void Use(IPAddress? address)
    {
        if (address is not null)
        {
            For(address.AddressFamily).Use(address);
        }
    }

    public void Release(IPAddress? address)
    {
        if (address is not null)
        {
            For(address.AddressFamily).Release(address);
        }
    }
}
