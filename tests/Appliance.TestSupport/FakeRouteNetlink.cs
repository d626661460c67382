using Appliance.Netlink.Route;

namespace Appliance.TestSupport;

/// <summary>An in-memory rtnetlink: links, addresses and main-table routes, for code that reconciles them.</summary>
public sealed class FakeRouteNetlink : IRouteNetlink
{
    private readonly Lock _lock = new();
    private readonly List<RtLink> _links = [];
    private readonly List<RtAddress> _addresses = [];
    private readonly List<RtRoute> _routes = [];

    public int CreateLink(string name, string kind)
    {
        lock (_lock)
        {
            var index = _links.Count == 0 ? 10 : _links.Max(l => l.Index) + 1;
            _links.Add(new RtLink(index, name, 1500, false, kind));
            return index;
        }
    }

    public void DeleteLink(string name)
    {
        lock (_lock)
        {
            var link = _links.Single(l => l.Name == name);
            _links.Remove(link);
            _addresses.RemoveAll(a => a.InterfaceIndex == link.Index);
            _routes.RemoveAll(r => r.OutInterfaceIndex == link.Index);
        }
    }

    public bool TryGetLink(string name, out RtLink link)
    {
        lock (_lock)
        {
            link = _links.FirstOrDefault(l => l.Name == name)!;
            return link is not null;
        }
    }

    public IReadOnlyList<RtLink> GetLinks()
    {
        lock (_lock)
        {
            return [.. _links];
        }
    }

    public void SetLinkUp(int index, bool up) => Update(index, l => l with { IsUp = up });

    public void SetLinkMtu(int index, int mtu) => Update(index, l => l with { Mtu = mtu });

    public void MoveLinkToNamespace(int index, string namespacePath) => throw new NotSupportedException("no namespaces in the fake");

    public void AddAddress(RtAddress address)
    {
        lock (_lock)
        {
            _addresses.Add(address);
        }
    }

    public void DeleteAddress(RtAddress address)
    {
        lock (_lock)
        {
            _addresses.RemoveAll(a => a.InterfaceIndex == address.InterfaceIndex && a.Address.Equals(address.Address));
        }
    }

    public IReadOnlyList<RtAddress> GetAddresses(int? interfaceIndex = null)
    {
        lock (_lock)
        {
            return [.. _addresses.Where(a => interfaceIndex is null || a.InterfaceIndex == interfaceIndex)];
        }
    }

    public void AddRoute(RtRoute route)
    {
        lock (_lock)
        {
            if (_routes.Any(r => r.Destination.Equals(route.Destination) && r.Metric == route.Metric && r.Table == route.Table))
            {
                throw new InvalidOperationException($"route {route.Destination} exists (EEXIST)");
            }
            _routes.Add(route);
        }
    }

    public void DeleteRoute(RtRoute route)
    {
        lock (_lock)
        {
            _routes.RemoveAll(r => r.Destination.Equals(route.Destination) && r.OutInterfaceIndex == route.OutInterfaceIndex && r.Metric == route.Metric);
        }
    }

    public IReadOnlyList<RtRoute> GetRoutes(int table = RtNetlinkConstants.RT_TABLE_MAIN)
    {
        lock (_lock)
        {
            return [.. _routes.Where(r => r.Table == table)];
        }
    }

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;

    private void Update(int index, Func<RtLink, RtLink> change)
    {
        lock (_lock)
        {
            var i = _links.FindIndex(l => l.Index == index);
            _links[i] = change(_links[i]);
        }
    }
}
