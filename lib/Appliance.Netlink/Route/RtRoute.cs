using System.Net;

namespace Appliance.Netlink.Route;

/// <summary>A unicast route, e.g. <c>ip route add 10.0.0.0/24 dev wg0 table 100</c>.</summary>
public sealed record RtRoute(IPNetwork Destination, int OutInterfaceIndex, int Table = RtNetlinkConstants.RT_TABLE_MAIN, IPAddress? Gateway = null, uint? Metric = null);
