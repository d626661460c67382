using Appliance.Netlink.Route;

namespace Appliance.WireGuard.Tests;

/// <summary>An rtnetlink stand-in that knows at most one link.</summary>
public sealed class NullRoute(RtLink? link = null) : IRouteNetlink
{
    public int CreateLink(string name, string kind) => 1;

    public void DeleteLink(string name)
    {
    }

    public bool TryGetLink(string name, out RtLink l)
    {
        l = link!;
        return link is not null && link.Name == name;
    }

    public IReadOnlyList<RtLink> GetLinks() => link is null ? [] : [link];

    public void SetLinkUp(int index, bool up)
    {
    }

    public void SetLinkMtu(int index, int mtu)
    {
    }

    public void MoveLinkToNamespace(int index, string namespacePath)
    {
    }

    public void AddAddress(RtAddress address)
    {
    }

    public void DeleteAddress(RtAddress address)
    {
    }

    public IReadOnlyList<RtAddress> GetAddresses(int? interfaceIndex = null) => [];

    public void AddRoute(RtRoute route)
    {
    }

    public void DeleteRoute(RtRoute route)
    {
    }

    public IReadOnlyList<RtRoute> GetRoutes(int table = 254) => [];

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}
