using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Appliance.Agent;

/// <summary>Addresses other nodes may reach this device at: IPv4 and global IPv6 of up, non-loopback interfaces other than our tunnel.</summary>
public static class LocalAddresses
{
    public static List<string> Discover(string ownInterface) => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown && n.NetworkInterfaceType != NetworkInterfaceType.Loopback && n.Name != ownInterface)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
        .Select(a => a.ToString())
        .Distinct()
        .Take(8)
        .ToList();
}
