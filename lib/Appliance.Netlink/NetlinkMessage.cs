namespace Appliance.Netlink;

/// <summary>One netlink message as read from a buffer: the <c>nlmsghdr</c> fields and the payload after it.</summary>
public readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, NetlinkMessageFlags flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }

    public NetlinkMessageFlags Flags { get; }

    public uint Sequence { get; }

    public uint PortId { get; }

    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Attributes that follow a fixed family header of <paramref name="headerSize"/> bytes.</summary>
    public NetlinkAttributeReader Attributes(int headerSize)
    {
        if (Payload.Length < headerSize)
        {
            throw new NetlinkProtocolException($"netlink message type {Type}: payload of {Payload.Length} bytes is shorter than its {headerSize}-byte header");
        }
        return new NetlinkAttributeReader(Payload[NetlinkMessageType.Align(headerSize)..]);
    }
}
