using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>The fixed 12-byte message header (RFC 1035 4.1.1): offsets and flag bits, read and written in place.</summary>
public static class DnsHeader
{
    public const int Length = 12;

    public const ushort FlagResponse = 0x8000;
    public const ushort FlagAuthoritative = 0x0400;
    public const ushort FlagTruncated = 0x0200;
    public const ushort FlagRecursionDesired = 0x0100;
    public const ushort FlagRecursionAvailable = 0x0080;
    public const ushort FlagZ = 0x0040;
    public const ushort FlagAuthenticData = 0x0020;
    public const ushort FlagCheckingDisabled = 0x0010;

    public static ushort Id(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m);

    public static ushort Flags(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m[2..]);

    public static DnsOpcode Opcode(ushort flags) => (DnsOpcode)((flags >> 11) & 0xF);

    public static int Rcode(ushort flags) => flags & 0xF;

    public static ushort QuestionCount(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m[4..]);

    public static ushort AnswerCount(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m[6..]);

    public static ushort AuthorityCount(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m[8..]);

    public static ushort AdditionalCount(ReadOnlySpan<byte> m) => BinaryPrimitives.ReadUInt16BigEndian(m[10..]);

    public static void Write(Span<byte> m, ushort id, ushort flags, ushort qd, ushort an, ushort ns, ushort ar)
    {
        BinaryPrimitives.WriteUInt16BigEndian(m, id);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], qd);
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], an);
        BinaryPrimitives.WriteUInt16BigEndian(m[8..], ns);
        BinaryPrimitives.WriteUInt16BigEndian(m[10..], ar);
    }

    public static void SetCounts(Span<byte> m, ushort an, ushort ns, ushort ar)
    {
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], an);
        BinaryPrimitives.WriteUInt16BigEndian(m[8..], ns);
        BinaryPrimitives.WriteUInt16BigEndian(m[10..], ar);
    }

    public static void SetFlags(Span<byte> m, ushort flags) => BinaryPrimitives.WriteUInt16BigEndian(m[2..], flags);
}
