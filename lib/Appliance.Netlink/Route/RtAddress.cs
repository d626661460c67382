using System.Net;

namespace Appliance.Netlink.Route;

/// <summary>An interface address with its prefix length, e.g. <c>10.9.0.1/24 dev wg0</c> (host bits allowed, unlike <see cref="IPNetwork"/>).</summary>
public sealed record RtAddress(int InterfaceIndex, IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength} dev#{InterfaceIndex}";
}
