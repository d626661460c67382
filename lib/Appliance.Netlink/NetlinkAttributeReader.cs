using System.Buffers.Binary;

namespace Appliance.Netlink;

/// <summary>Walks a run of <c>nlattr</c>s. Pure, allocation-free; throws on truncation.</summary>
public ref struct NetlinkAttributeReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public NetlinkAttributeReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public bool TryRead(out NetlinkAttribute attribute)
    {
        var rest = _data[_position..];
        // Fewer than 4 bytes left is only trailing padding.
        if (rest.Length < NetlinkMessageType.AttributeHeaderSize)
        {
            attribute = default;
            return false;
        }
        ushort len = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        if (len < NetlinkMessageType.AttributeHeaderSize || len > rest.Length)
        {
            throw new NetlinkProtocolException($"truncated netlink attribute: nla_len={len}, {rest.Length} bytes available");
        }
        attribute = new NetlinkAttribute(BinaryPrimitives.ReadUInt16LittleEndian(rest[2..]), rest[4..len]);
        _position = Math.Min(_data.Length, _position + NetlinkMessageType.Align(len));
        return true;
    }
}
