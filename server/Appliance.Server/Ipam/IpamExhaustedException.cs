using System.Net;

namespace Appliance.Server.Ipam;

/// <summary>No free address is left in a network's range.</summary>
public sealed class IpamExhaustedException(IPNetwork range)
    : Exception($"no free address left in {range}: delete nodes or wait for the addresses of deleted nodes to be released")
{
    public IPNetwork Range { get; } = range;
}
