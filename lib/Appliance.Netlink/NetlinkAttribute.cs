using System.Buffers.Binary;
using System.Net;

namespace Appliance.Netlink;

/// <summary>One <c>nlattr</c>: its type (flag bits stripped) and value bytes, with typed accessors that check lengths.</summary>
public readonly ref struct NetlinkAttribute
{
    public const ushort NestedFlag = 0x8000;
    public const ushort NetByteOrderFlag = 0x4000;
    public const ushort TypeMask = 0x3fff;

    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> value)
    {
        RawType = rawType;
        Value = value;
    }

    public ushort RawType { get; }

    public ushort Type => (ushort)(RawType & TypeMask);

    public bool IsNested => (RawType & NestedFlag) != 0;

    public ReadOnlySpan<byte> Value { get; }

    public byte GetU8() => Value.Length >= 1 ? Value[0] : throw Short(1);

    public ushort GetU16() => Value.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(Value) : throw Short(2);

    public uint GetU32() => Value.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Value) : throw Short(4);

    public ulong GetU64() => Value.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(Value) : throw Short(8);

    public long GetS64() => Value.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(Value) : throw Short(8);

    /// <summary>A NUL-terminated (or unterminated) string value.</summary>
    public string GetString()
    {
        var v = Value;
        int nul = v.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul >= 0 ? v[..nul] : v);
    }

    /// <summary>An IPv4 (4 bytes) or IPv6 (16 bytes) address.</summary>
    public IPAddress GetAddress() =>
        Value.Length is 4 or 16 ? new IPAddress(Value) : throw new NetlinkProtocolException($"attribute {Type}: {Value.Length} bytes is not an IPv4 or IPv6 address");

    public NetlinkAttributeReader GetNested() => new(Value);

    private NetlinkProtocolException Short(int need) =>
        new($"attribute {Type}: value of {Value.Length} bytes, need {need}");
}
