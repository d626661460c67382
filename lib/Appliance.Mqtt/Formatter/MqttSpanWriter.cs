using System.Buffers.Binary;
using System.Text;

namespace Appliance.Mqtt.Formatter;

/// <summary>
/// Forward-only writer of MQTT primitive fields. In measuring mode it only counts bytes, so one code path
/// computes the remaining length and then writes the packet.
/// </summary>
internal ref struct MqttSpanWriter
{
    private readonly Span<byte> _dst;
    private readonly bool _measure;

    public MqttSpanWriter(Span<byte> dst)
    {
        _dst = dst;
        _measure = false;
        Position = 0;
    }

    private MqttSpanWriter(bool measure)
    {
        _dst = default;
        _measure = measure;
        Position = 0;
    }

    public int Position { get; private set; }

    public static MqttSpanWriter Measuring() => new(measure: true);

    public void WriteByte(byte value)
    {
        if (!_measure)
        {
            _dst[Position] = value;
        }
        Position++;
    }

    public void WriteUInt16(ushort value)
    {
        if (!_measure)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_dst[Position..], value);
        }
        Position += 2;
    }

    public void WriteUInt32(uint value)
    {
        if (!_measure)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_dst[Position..], value);
        }
        Position += 4;
    }

    public void WriteVarInt(int value)
    {
        if (_measure)
        {
            Position += MqttVarInt.GetSize(value);
        }
        else
        {
            Position += MqttVarInt.Write(_dst[Position..], value);
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        if (!_measure)
        {
            value.CopyTo(_dst[Position..]);
        }
        Position += value.Length;
    }

    /// <summary>A UTF-8 string with a 2-byte big-endian length prefix (3.1.1 section 1.5.3).</summary>
    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"MQTT string longer than 65535 bytes ({length})", nameof(value));
        }
        WriteUInt16((ushort)length);
        if (!_measure)
        {
            Encoding.UTF8.GetBytes(value, _dst[Position..]);
        }
        Position += length;
    }

    /// <summary>Binary data with a 2-byte big-endian length prefix.</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"MQTT binary field longer than 65535 bytes ({value.Length})", nameof(value));
        }
        WriteUInt16((ushort)value.Length);
        WriteBytes(value);
    }
}
