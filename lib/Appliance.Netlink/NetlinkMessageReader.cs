using System.Buffers.Binary;

namespace Appliance.Netlink;

/// <summary>Walks the messages in a datagram received from a netlink socket. Pure, allocation-free.</summary>
public ref struct NetlinkMessageReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public NetlinkMessageReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Reads the next message; false at the end. Throws <see cref="NetlinkProtocolException"/> on truncation.</summary>
    public bool TryRead(out NetlinkMessage message)
    {
        var rest = _data[_position..];
        if (rest.IsEmpty)
        {
            message = default;
            return false;
        }
        if (rest.Length < NetlinkMessageType.HeaderSize)
        {
            throw new NetlinkProtocolException($"truncated netlink header: {rest.Length} bytes left, need {NetlinkMessageType.HeaderSize}");
        }
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        if (len < NetlinkMessageType.HeaderSize || len > rest.Length)
        {
            throw new NetlinkProtocolException($"truncated netlink message: nlmsg_len={len}, {rest.Length} bytes available");
        }
        message = new NetlinkMessage(
            BinaryPrimitives.ReadUInt16LittleEndian(rest[4..]),
            (NetlinkMessageFlags)BinaryPrimitives.ReadUInt16LittleEndian(rest[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(rest[12..]),
            rest[NetlinkMessageType.HeaderSize..(int)len]);
        _position = Math.Min(_data.Length, _position + NetlinkMessageType.Align((int)len));
        return true;
    }
}
