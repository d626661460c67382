namespace Appliance.Netlink.Route;

/// <summary>
/// The fields of one RTM_NEWLINK message read without allocating: index, <c>ifi_type</c>, <c>ifi_flags</c>, the
/// operational state (IFLA_OPERSTATE, RFC 2863) and the name's UTF-8 bytes (IFLA_IFNAME, without its NUL). Valid only as
/// long as the buffer it was read from.
/// </summary>
public readonly ref struct RtLinkEntry
{
    public RtLinkEntry(int index, ushort deviceType, uint flags, byte operState, ReadOnlySpan<byte> name)
    {
        Index = index;
        DeviceType = deviceType;
        Flags = flags;
        OperState = operState;
        Name = name;
    }

    public int Index { get; }

    /// <summary><c>ifi_type</c>: an ARPHRD_* value (1 Ethernet, 772 loopback, 65534 none: WireGuard, tun).</summary>
    public ushort DeviceType { get; }

    /// <summary><c>ifi_flags</c>: IFF_UP, IFF_LOOPBACK...</summary>
    public uint Flags { get; }

    /// <summary>IF_OPER_* (0 unknown, 2 down, 3 lower layer down, 6 up); unknown when the kernel sent none.</summary>
    public byte OperState { get; }

    public ReadOnlySpan<byte> Name { get; }

    public bool IsLoopback => DeviceType == RtNetlinkConstants.ARPHRD_LOOPBACK || (Flags & RtNetlinkConstants.IFF_LOOPBACK) != 0;
}
