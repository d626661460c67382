using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using static Appliance.Netlink.Route.RtNetlinkConstants;

namespace Appliance.Netlink.Route;

/// <summary>Pure encoders and decoders for the rtnetlink messages the appliance uses (links, addresses, routes).</summary>
public static class RtNetlinkCodec
{
    private const byte AF_UNSPEC = 0;
    private const byte AF_INET = 2;
    private const byte AF_INET6 = 10;

    /// <summary><c>ip link add NAME type KIND</c></summary>
    public static int NewLink(Span<byte> dst, string name, string kind)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack | NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl);
        w.Reserve(IfInfoMsgSize);
        w.WriteString(IFLA_IFNAME, name);
        int li = w.BeginNested(IFLA_LINKINFO);
        w.WriteString(IFLA_INFO_KIND, kind);
        w.EndNested(li);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip link del NAME</c></summary>
    public static int DeleteLink(Span<byte> dst, string name)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(RTM_DELLINK, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
        w.Reserve(IfInfoMsgSize);
        w.WriteString(IFLA_IFNAME, name);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip link set dev #INDEX [up|down] [mtu MTU]</c></summary>
    public static int SetLink(Span<byte> dst, int index, bool? up, int? mtu)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
        var ifi = w.Reserve(IfInfoMsgSize);
        BinaryPrimitives.WriteInt32LittleEndian(ifi[4..], index);
        if (up is { } u)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(ifi[8..], u ? IFF_UP : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(ifi[12..], IFF_UP);
        }
        if (mtu is { } v)
        {
            w.WriteU32(IFLA_MTU, (uint)v);
        }
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip link set dev #INDEX netns FD</c> (the namespace given as an open file descriptor).</summary>
    public static int MoveLinkToNamespace(Span<byte> dst, int index, int namespaceFd)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(RTM_NEWLINK, NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack);
        var ifi = w.Reserve(IfInfoMsgSize);
        BinaryPrimitives.WriteInt32LittleEndian(ifi[4..], index);
        w.WriteU32(IFLA_NET_NS_FD, (uint)namespaceFd);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip link show NAME</c> (or <c>ip link show</c> as a dump when <paramref name="name"/> is null).</summary>
    public static int GetLink(Span<byte> dst, string? name)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(RTM_GETLINK, NetlinkMessageFlags.Request | (name is null ? NetlinkMessageFlags.Dump : 0));
        w.Reserve(IfInfoMsgSize);
        if (name is not null)
        {
            w.WriteString(IFLA_IFNAME, name);
        }
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip addr add|del ADDRESS/PREFIX dev #INDEX</c></summary>
    public static int Address(Span<byte> dst, bool add, RtAddress address)
    {
        var w = new NetlinkWriter(dst);
        var flags = NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack;
        if (add)
        {
            flags |= NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl;
        }
        int m = w.BeginMessage(add ? RTM_NEWADDR : RTM_DELADDR, flags);
        var ifa = w.Reserve(IfAddrMsgSize);
        ifa[0] = Family(address.Address);
        ifa[1] = (byte)address.PrefixLength;
        ifa[3] = RT_SCOPE_UNIVERSE;
        BinaryPrimitives.WriteUInt32LittleEndian(ifa[4..], (uint)address.InterfaceIndex);
        w.WriteAddress(IFA_LOCAL, address.Address);
        w.WriteAddress(IFA_ADDRESS, address.Address);
        w.EndMessage(m);
        return w.Length;
    }

    /// <summary><c>ip addr show</c> (dump, one family or both).</summary>
    public static int DumpAddresses(Span<byte> dst, AddressFamily family = AddressFamily.Unspecified) =>
        DumpWith(dst, RTM_GETADDR, IfAddrMsgSize, FamilyOf(family));

    /// <summary><c>ip route show table all</c> (dump, one family or both).</summary>
    public static int DumpRoutes(Span<byte> dst, AddressFamily family = AddressFamily.Unspecified) =>
        DumpWith(dst, RTM_GETROUTE, RtMsgSize, FamilyOf(family));

    /// <summary><c>ip route add|del DEST [via GW] dev #INDEX [table T] [metric M]</c></summary>
    public static int Route(Span<byte> dst, bool add, RtRoute route)
    {
        var w = new NetlinkWriter(dst);
        var flags = NetlinkMessageFlags.Request | NetlinkMessageFlags.Ack;
        if (add)
        {
            flags |= NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl;
        }
        int m = w.BeginMessage(add ? RTM_NEWROUTE : RTM_DELROUTE, flags);
        var rt = w.Reserve(RtMsgSize);
        rt[0] = Family(route.Destination.BaseAddress);
        rt[1] = (byte)route.Destination.PrefixLength;
        rt[4] = route.Table is > 0 and < 256 ? (byte)route.Table : RT_TABLE_UNSPEC;
        if (add)
        {
            rt[5] = RTPROT_BOOT;
            rt[6] = route.Gateway is null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
            rt[7] = RTN_UNICAST;
        }
        else
        {
            rt[6] = RT_SCOPE_NOWHERE;
        }
        w.WriteU32(RTA_TABLE, (uint)route.Table);
        if (route.Destination.PrefixLength > 0)
        {
            w.WriteAddress(RTA_DST, route.Destination.BaseAddress);
        }
        if (route.Gateway is not null)
        {
            w.WriteAddress(RTA_GATEWAY, route.Gateway);
        }
        w.WriteU32(RTA_OIF, (uint)route.OutInterfaceIndex);
        if (route.Metric is { } metric)
        {
            w.WriteU32(RTA_PRIORITY, metric);
        }
        w.EndMessage(m);
        return w.Length;
    }

    public static RtLink ParseLink(in NetlinkMessage message)
    {
        if (message.Type != RTM_NEWLINK)
        {
            throw new NetlinkProtocolException($"expected RTM_NEWLINK, got type {message.Type}");
        }
        var p = message.Payload;
        var attrs = message.Attributes(IfInfoMsgSize);
        int index = BinaryPrimitives.ReadInt32LittleEndian(p[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        string name = "";
        int mtu = 0;
        string? kind = null;
        while (attrs.TryRead(out var a))
        {
            switch (a.Type)
            {
                case IFLA_IFNAME: name = a.GetString(); break;
                case IFLA_MTU: mtu = (int)a.GetU32(); break;
                case IFLA_LINKINFO:
                    var info = a.GetNested();
                    while (info.TryRead(out var i))
                    {
                        if (i.Type == IFLA_INFO_KIND)
                        {
                            kind = i.GetString();
                        }
                    }
                    break;
                default: break; // unknown attributes are skipped, as the kernel adds new ones over time
            }
        }
        return new RtLink(index, name, mtu, (flags & IFF_UP) != 0, kind);
    }

    public static RtAddress ParseAddress(in NetlinkMessage message)
    {
        if (message.Type != RTM_NEWADDR)
        {
            throw new NetlinkProtocolException($"expected RTM_NEWADDR, got type {message.Type}");
        }
        var p = message.Payload;
        var attrs = message.Attributes(IfAddrMsgSize);
        int prefix = p[1];
        int index = (int)BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        IPAddress? local = null, address = null;
        while (attrs.TryRead(out var a))
        {
            if (a.Type == IFA_LOCAL)
            {
                local = a.GetAddress();
            }
            else if (a.Type == IFA_ADDRESS)
            {
                address = a.GetAddress();
            }
        }
        return new RtAddress(index, local ?? address ?? throw new NetlinkProtocolException("RTM_NEWADDR without IFA_ADDRESS"), prefix);
    }

    /// <summary>Decodes a route; returns false for non-unicast routes (local, broadcast...) the appliance does not manage.</summary>
    public static bool TryParseRoute(in NetlinkMessage message, out RtRoute route)
    {
        if (message.Type != RTM_NEWROUTE)
        {
            throw new NetlinkProtocolException($"expected RTM_NEWROUTE, got type {message.Type}");
        }
        var p = message.Payload;
        var attrs = message.Attributes(RtMsgSize);
        byte family = p[0];
        int dstLen = p[1];
        int table = p[4];
        byte type = p[7];
        IPAddress? dest = null, gw = null;
        int oif = 0;
        uint? metric = null;
        while (attrs.TryRead(out var a))
        {
            switch (a.Type)
            {
                case RTA_DST: dest = a.GetAddress(); break;
                case RTA_GATEWAY: gw = a.GetAddress(); break;
                case RTA_OIF: oif = (int)a.GetU32(); break;
                case RTA_TABLE: table = (int)a.GetU32(); break;
                case RTA_PRIORITY: metric = a.GetU32(); break;
                default: break;
            }
        }
        route = null!;
        if (type != RTN_UNICAST || family is not (AF_INET or AF_INET6))
        {
            return false;
        }
        dest ??= family == AF_INET ? IPAddress.Any : IPAddress.IPv6Any;
        route = new RtRoute(new IPNetwork(dest, dstLen), oif, table, gw, metric);
        return true;
    }

    private static int DumpWith(Span<byte> dst, ushort type, int headerSize, byte family)
    {
        var w = new NetlinkWriter(dst);
        int m = w.BeginMessage(type, NetlinkMessageFlags.Request | NetlinkMessageFlags.Dump);
        w.Reserve(headerSize)[0] = family;
        w.EndMessage(m);
        return w.Length;
    }

    private static byte Family(IPAddress a) => a.AddressFamily switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => throw new ArgumentException("not an IP address: " + a),
    };

    private static byte FamilyOf(AddressFamily f) => f switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => AF_UNSPEC,
    };
}
