namespace Appliance.Netlink.Route;

/// <summary>The rtnetlink operations the appliance needs: links, addresses and routes, in one network namespace.</summary>
public interface IRouteNetlink : IDisposable
{
    /// <summary><c>ip link add NAME type KIND</c>; returns the new interface index. EEXIST if it exists.</summary>
    int CreateLink(string name, string kind);

    /// <summary><c>ip link del NAME</c>; ENODEV if it does not exist.</summary>
    void DeleteLink(string name);

    bool TryGetLink(string name, out RtLink link);

    IReadOnlyList<RtLink> GetLinks();

    void SetLinkUp(int index, bool up);

    void SetLinkMtu(int index, int mtu);

    /// <summary>Moves a link into the network namespace at <paramref name="namespacePath"/> (e.g. /proc/PID/ns/net).</summary>
    void MoveLinkToNamespace(int index, string namespacePath);

    void AddAddress(RtAddress address);

    void DeleteAddress(RtAddress address);

    IReadOnlyList<RtAddress> GetAddresses(int? interfaceIndex = null);

    void AddRoute(RtRoute route);

    void DeleteRoute(RtRoute route);

    /// <summary>Unicast routes of one table (default main), both families.</summary>
    IReadOnlyList<RtRoute> GetRoutes(int table = RtNetlinkConstants.RT_TABLE_MAIN);
}
