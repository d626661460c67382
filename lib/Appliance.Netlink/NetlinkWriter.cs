using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Netlink;

/// <summary>
/// Writes netlink messages and attributes into a caller-provided span (native byte order,
/// 4-byte alignment, zeroed padding). Pure: no allocation, no I/O.
/// </summary>
public ref struct NetlinkWriter
{
    /// <summary>Largest attribute (header included): <c>nla_len</c> is a u16.</summary>
    public const int MaxAttributeLength = ushort.MaxValue;

    private readonly Span<byte> _buffer;
    private int _position;

    public NetlinkWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    /// <summary>Starts a message; returns its offset for <see cref="EndMessage"/>.</summary>
    public int BeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence = 0, uint portId = 0)
    {
        int start = _position;
        var h = Reserve(NetlinkMessageType.HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)flags);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], portId);
        return start;
    }

    /// <summary>Finishes a message by writing its <c>nlmsg_len</c>.</summary>
    public readonly void EndMessage(int start) =>
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer[start..], (uint)(_position - start));

    /// <summary>Writes <c>struct genlmsghdr</c>.</summary>
    public void WriteGenericHeader(byte command, byte version)
    {
        var h = Reserve(4);
        h[0] = command;
        h[1] = version;
    }

    /// <summary>Reserves <paramref name="length"/> zeroed bytes (padded to 4) for a family header and returns them.</summary>
    public Span<byte> Reserve(int length)
    {
        int aligned = NetlinkMessageType.Align(length);
        if (aligned > Remaining)
        {
            throw new InvalidOperationException($"netlink buffer too small: need {aligned} more bytes, {Remaining} left");
        }
        var span = _buffer.Slice(_position, aligned);
        span.Clear();
        _position += aligned;
        return span[..length];
    }

    public void WriteAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        CheckAttributeLength(type, NetlinkMessageType.AttributeHeaderSize + value.Length);
        var a = Reserve(NetlinkMessageType.AttributeHeaderSize + value.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)a.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        value.CopyTo(a[4..]);
    }

    /// <summary>Reserves an attribute's value bytes to be filled by the caller.</summary>
    public Span<byte> ReserveAttribute(ushort type, int valueLength)
    {
        CheckAttributeLength(type, NetlinkMessageType.AttributeHeaderSize + valueLength);
        var a = Reserve(NetlinkMessageType.AttributeHeaderSize + valueLength);
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)a.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        return a[4..];
    }

    public void WriteU8(ushort type, byte value) => ReserveAttribute(type, 1)[0] = value;

    public void WriteU16(ushort type, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(ReserveAttribute(type, 2), value);

    public void WriteU32(ushort type, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(ReserveAttribute(type, 4), value);

    public void WriteU64(ushort type, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(ReserveAttribute(type, 8), value);

    /// <summary>Writes a NUL-terminated ASCII string attribute (NLA_NUL_STRING).</summary>
    public void WriteString(ushort type, ReadOnlySpan<char> value)
    {
        var v = ReserveAttribute(type, value.Length + 1);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == 0 || c > 0x7f)
            {
                throw new ArgumentException("netlink string attributes must be non-NUL ASCII", nameof(value));
            }
            v[i] = (byte)c;
        }
    }

    /// <summary>Writes the raw bytes of an IPv4 or IPv6 address (network order).</summary>
    public void WriteAddress(ushort type, IPAddress address)
    {
        int len = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        if (!address.TryWriteBytes(ReserveAttribute(type, len), out _))
        {
            throw new ArgumentException("address does not fit", nameof(address));
        }
    }

    /// <summary>Starts a nested attribute (NLA_F_NESTED set); returns its offset for <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _position;
        var a = Reserve(NetlinkMessageType.AttributeHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], (ushort)(type | NetlinkAttribute.NestedFlag));
        return start;
    }

    /// <summary>Finishes a nested attribute by writing its <c>nla_len</c>; throws if the contents outgrew its 16 bits.</summary>
    public readonly void EndNested(int start)
    {
        int length = _position - start;
        CheckAttributeLength((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_buffer[(start + 2)..]) & ~NetlinkAttribute.NestedFlag), length);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[start..], (ushort)length);
    }

    private static void CheckAttributeLength(ushort type, int length)
    {
        if (length > MaxAttributeLength)
        {
            throw new InvalidOperationException($"netlink attribute type {type & NetlinkAttribute.TypeMask} would be {length} bytes; nla_len holds at most {MaxAttributeLength} (split the data over several messages)");
        }
    }

    /// <summary>Drops everything written after <paramref name="position"/> (used to back out a chunk that did not fit).</summary>
    public void Truncate(int position)
    {
        if (position < 0 || position > _position)
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }
        _position = position;
    }
}
