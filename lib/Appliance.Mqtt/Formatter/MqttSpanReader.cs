using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Appliance.Mqtt.Formatter;

/// <summary>Forward-only reader of MQTT primitive fields over one packet's body; any overrun is a malformed packet.</summary>
internal ref struct MqttSpanReader
{
    private readonly ReadOnlySpan<byte> _src;

    public MqttSpanReader(ReadOnlySpan<byte> src)
    {
        _src = src;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _src.Length - Position;

    public readonly bool End => Position >= _src.Length;

    public byte ReadByte()
    {
        Need(1);
        return _src[Position++];
    }

    public ushort ReadUInt16()
    {
        Need(2);
        var v = BinaryPrimitives.ReadUInt16BigEndian(_src[Position..]);
        Position += 2;
        return v;
    }

    public uint ReadUInt32()
    {
        Need(4);
        var v = BinaryPrimitives.ReadUInt32BigEndian(_src[Position..]);
        Position += 4;
        return v;
    }

    public int ReadVarInt()
    {
        var status = MqttVarInt.TryRead(_src[Position..], out var value, out var read);
        if (status == MqttDecodeStatus.NeedMoreData)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.Truncated);
        }
        if (status == MqttDecodeStatus.Malformed)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.MalformedVariableInteger);
        }
        Position += read;
        return value;
    }

    public ReadOnlySpan<byte> ReadSpan(int length)
    {
        Need(length);
        var s = _src.Slice(Position, length);
        Position += length;
        return s;
    }

    public ReadOnlySpan<byte> ReadRest() => ReadSpan(Remaining);

    public byte[] ReadBinary() => ReadSpan(ReadUInt16()).ToArray();

    /// <summary>A length-prefixed UTF-8 string; ill-formed UTF-8 and U+0000 are malformed (3.1.1 section 1.5.3).</summary>
    public string ReadString()
    {
        var bytes = ReadSpan(ReadUInt16());
        if (!Utf8.IsValid(bytes) || bytes.Contains((byte)0))
        {
            throw new MqttMalformedPacketException(MqttDecodeError.InvalidUtf8);
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private readonly void Need(int count)
    {
        if (count < 0 || Position + count > _src.Length)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.Truncated);
        }
    }
}
