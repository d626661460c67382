using System.Buffers.Binary;
using System.Text;

namespace Appliance.Dns.Wire;

/// <summary>
/// Writes DNS fields into a span, with RFC 1035 4.1.4 name compression: every name suffix written at an offset
/// below 0x4000 is remembered and later occurrences become a 2-byte pointer.
/// </summary>
public sealed class DnsWireWriter
{
    private readonly byte[] _buffer;
    private readonly Dictionary<string, int> _suffixes = new(StringComparer.Ordinal);

    public DnsWireWriter(byte[] buffer)
    {
        _buffer = buffer ?? throw new ArgumentNullException(nameof(buffer));
    }

    public int Position { get; set; }

    public Span<byte> Written => _buffer.AsSpan(0, Position);

    public void WriteByte(byte v)
    {
        Ensure(1);
        _buffer[Position++] = v;
    }

    public void WriteUInt16(ushort v)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(Position), v);
        Position += 2;
    }

    public void WriteUInt32(uint v)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(Position), v);
        Position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> v)
    {
        Ensure(v.Length);
        v.CopyTo(_buffer.AsSpan(Position));
        Position += v.Length;
    }

    public void PatchUInt16(int offset, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset), v);

    /// <summary>Writes a name; compressed unless <paramref name="compress"/> is false (RFC 2782: SRV targets are not).</summary>
    public void WriteName(string name, bool compress = true)
    {
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        var len = DnsName.Encode(name, wire);
        var pos = 0;
        while (wire[pos] != 0)
        {
            var key = Key(wire[pos..len]);
            if (compress && _suffixes.TryGetValue(key, out var target))
            {
                WriteUInt16((ushort)(0xC000 | target));
                return;
            }
            if (Position < 0x4000)
            {
                _suffixes.TryAdd(key, Position);
            }
            var labelLen = wire[pos];
            WriteBytes(wire.Slice(pos, 1 + labelLen));
            pos += 1 + labelLen;
        }
        WriteByte(0);
    }

    private static string Key(ReadOnlySpan<byte> wireSuffix)
    {
        Span<byte> lower = stackalloc byte[wireSuffix.Length];
        for (var i = 0; i < wireSuffix.Length; i++)
        {
            var b = wireSuffix[i];
            lower[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
        }
        return Encoding.Latin1.GetString(lower);
    }

    private void Ensure(int n)
    {
        if (Position + n > _buffer.Length)
        {
            throw new ArgumentException($"DNS message does not fit in {_buffer.Length} bytes");
        }
    }
}
