namespace Appliance.Netlink.Route;

/// <summary>rtnetlink over a netlink socket (real or fake). Thread-safe: calls are serialized, since the request
/// buffer, the receive buffer and the socket's reply stream are shared.</summary>
public sealed class RouteNetlinkClient : IRouteNetlink
{
    private readonly NetlinkClient _client;
    private readonly byte[] _request = new byte[1024];
    private readonly Lock _lock = new();

    public RouteNetlinkClient(INetlinkSocket socket, bool ownsSocket = true)
    {
        _client = new NetlinkClient(socket, ownsSocket);
    }

    /// <summary>Opens a NETLINK_ROUTE socket, optionally in another network namespace.</summary>
    public static RouteNetlinkClient Open(string? networkNamespacePath = null) =>
        new(NetlinkSocket.Open(NetlinkProtocol.Route, networkNamespacePath));

    public int CreateLink(string name, string kind)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.NewLink(_request, name, kind);
            _client.Request(_request.AsSpan(0, n), $"RTM_NEWLINK {name} type {kind}");
            return TryGetLink(name, out var link) ? link.Index : throw new NetlinkException(Errno.ENODEV, "RTM_GETLINK " + name);
        }
    }

    public void DeleteLink(string name)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.DeleteLink(_request, name);
            _client.Request(_request.AsSpan(0, n), "RTM_DELLINK " + name);
        }
    }

    public bool TryGetLink(string name, out RtLink link)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.GetLink(_request, name);
            RtLink? found = null;
            try
            {
                _client.Dump(_request.AsSpan(0, n), "RTM_GETLINK " + name, (in NetlinkMessage m) => found = RtNetlinkCodec.ParseLink(m), () => found = null);
            }
            catch (NetlinkException e) when (e.Errno == Errno.ENODEV)
            {
            }
            link = found!;
            return found is not null;
        }
    }

    public IReadOnlyList<RtLink> GetLinks()
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.GetLink(_request, null);
            var list = new List<RtLink>();
            _client.Dump(_request.AsSpan(0, n), "RTM_GETLINK dump", (in NetlinkMessage m) => list.Add(RtNetlinkCodec.ParseLink(m)), list.Clear);
            return list;
        }
    }

    public void SetLinkUp(int index, bool up)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.SetLink(_request, index, up, null);
            _client.Request(_request.AsSpan(0, n), $"RTM_NEWLINK #{index} {(up ? "up" : "down")}");
        }
    }

    public void SetLinkMtu(int index, int mtu)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.SetLink(_request, index, null, mtu);
            _client.Request(_request.AsSpan(0, n), $"RTM_NEWLINK #{index} mtu {mtu}");
        }
    }

    public void MoveLinkToNamespace(int index, string namespacePath)
    {
        lock (_lock)
        {
            using var ns = File.OpenHandle(namespacePath, FileMode.Open, FileAccess.Read);
            int n = RtNetlinkCodec.MoveLinkToNamespace(_request, index, (int)ns.DangerousGetHandle());
            _client.Request(_request.AsSpan(0, n), $"RTM_NEWLINK #{index} netns {namespacePath}");
        }
    }

    public void AddAddress(RtAddress address)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.Address(_request, add: true, address);
            _client.Request(_request.AsSpan(0, n), "RTM_NEWADDR " + address);
        }
    }

    public void DeleteAddress(RtAddress address)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.Address(_request, add: false, address);
            _client.Request(_request.AsSpan(0, n), "RTM_DELADDR " + address);
        }
    }

    public IReadOnlyList<RtAddress> GetAddresses(int? interfaceIndex = null)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.DumpAddresses(_request);
            var list = new List<RtAddress>();
            _client.Dump(_request.AsSpan(0, n), "RTM_GETADDR dump", (in NetlinkMessage m) =>
            {
                if (RtNetlinkCodec.TryParseAddress(m, out var a) && (interfaceIndex is null || a.InterfaceIndex == interfaceIndex))
                {
                    list.Add(a);
                }
            }, list.Clear);
            return list;
        }
    }

    public void AddRoute(RtRoute route)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.Route(_request, add: true, route);
            _client.Request(_request.AsSpan(0, n), $"RTM_NEWROUTE {route.Destination} table {route.Table}");
        }
    }

    public void DeleteRoute(RtRoute route)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.Route(_request, add: false, route);
            _client.Request(_request.AsSpan(0, n), $"RTM_DELROUTE {route.Destination} table {route.Table}");
        }
    }

    public IReadOnlyList<RtRoute> GetRoutes(int table = RtNetlinkConstants.RT_TABLE_MAIN)
    {
        lock (_lock)
        {
            int n = RtNetlinkCodec.DumpRoutes(_request);
            var list = new List<RtRoute>();
            _client.Dump(_request.AsSpan(0, n), "RTM_GETROUTE dump", (in NetlinkMessage m) =>
            {
                if (RtNetlinkCodec.TryParseRoute(m, out var r) && r.Table == table)
                {
                    list.Add(r);
                }
            }, list.Clear);
            return list;
        }
    }

    public void Dispose() => _client.Dispose();
}
