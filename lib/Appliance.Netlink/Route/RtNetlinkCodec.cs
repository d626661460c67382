using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using static Appliance.Netlink.Route.RtNetlinkConstants;

namespace Appliance.Netlink.Route;

/// <summary>Pure encoders and decoders for the rtnetlink messages the appliance uses (links, addresses, routes).</summary>
public static class RtNetlinkCodec
{
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

    /// <summary>
    /// Decodes an IPv4 or IPv6 address (<see cref="TryReadInetAddress"/>, then the address as an <see cref="IPAddress"/>);
    /// returns false for other families, which an AF_UNSPEC dump also lists.
    /// </summary>
    public static bool TryParseAddress(in NetlinkMessage message, [NotNullWhen(true)] out RtAddress? address)
    {
        if (!TryReadInetAddress(message, out var entry))
        {
            address = null;
            return false;
        }
        address = new RtAddress(entry.InterfaceIndex, new IPAddress(entry.Address), entry.PrefixLength);
        return true;
    }

    /// <summary>
    /// Reads an RTM_NEWLINK message without allocating (the fields a dump's reader filters on); the name is required.
    /// </summary>
    public static RtLinkEntry ReadLink(in NetlinkMessage message)
    {
        if (message.Type != RTM_NEWLINK)
        {
            throw new NetlinkProtocolException($"expected RTM_NEWLINK, got type {message.Type}");
        }
        var p = message.Payload;
        var attrs = message.Attributes(IfInfoMsgSize);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(p[2..]);
        int index = BinaryPrimitives.ReadInt32LittleEndian(p[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        byte operState = IF_OPER_UNKNOWN;
        ReadOnlySpan<byte> name = default;
        while (attrs.TryRead(out var a))
        {
            switch (a.Type)
            {
                case IFLA_IFNAME:
                    name = a.Value;
                    int nul = name.IndexOf((byte)0);
                    name = nul >= 0 ? name[..nul] : name;
                    break;
                case IFLA_OPERSTATE: operState = a.GetU8(); break;
                default: break;
            }
        }
        if (name.IsEmpty)
        {
            throw new NetlinkProtocolException($"RTM_NEWLINK #{index} without IFLA_IFNAME");
        }
        return new RtLinkEntry(index, type, flags, operState, name);
    }

    /// <summary>
    /// Reads an RTM_NEWADDR message without allocating. Returns false for families other than AF_INET and AF_INET6
    /// (an AF_UNSPEC dump also lists MCTP and other addresses); throws when an IP address is missing or of the wrong
    /// length, or the prefix is longer than the address.
    /// </summary>
    public static bool TryReadInetAddress(in NetlinkMessage message, out RtAddressEntry address)
    {
        if (message.Type != RTM_NEWADDR)
        {
            throw new NetlinkProtocolException($"expected RTM_NEWADDR, got type {message.Type}");
        }
        var p = message.Payload;
        var attrs = message.Attributes(IfAddrMsgSize);
        byte family = p[0];
        byte prefix = p[1];
        uint flags = p[2];
        byte scope = p[3];
        int index = (int)BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        address = default;
        int length = family switch
        {
            AF_INET => 4,
            AF_INET6 => 16,
            _ => 0,
        };
        if (length == 0)
        {
            return false;
        }
        ReadOnlySpan<byte> local = default, peer = default;
        while (attrs.TryRead(out var a))
        {
            switch (a.Type)
            {
                case IFA_LOCAL: local = a.Value; break;
                case IFA_ADDRESS: peer = a.Value; break;
                case IFA_FLAGS: flags = a.GetU32(); break;
                default: break;
            }
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a point-to-point link (IPv6 sends only it).
        var own = local.IsEmpty ? peer : local;
        if (own.Length != length)
        {
            throw new NetlinkProtocolException(own.IsEmpty
                ? $"RTM_NEWADDR on #{index} without IFA_LOCAL or IFA_ADDRESS"
                : $"RTM_NEWADDR on #{index}: address of {own.Length} bytes for family {family} (need {length})");
        }
        if (prefix > length * 8)
        {
            throw new NetlinkProtocolException($"RTM_NEWADDR on #{index}: prefix length {prefix} is longer than the address");
        }
        address = new RtAddressEntry(index, family, prefix, scope, flags, own);
        return true;
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
