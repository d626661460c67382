using System.Buffers.Binary;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Server;

/// <summary>Small in-place steps for building a response from a query: header + echoed question, then records, then OPT.</summary>
internal static class DnsResponseWriter
{
    public const int OptLength = 11;

    /// <summary>Writes the header (counts for the question only) and copies the question; returns the offset after it.</summary>
    public static int Begin(ReadOnlySpan<byte> query, in DnsParsedQuery q, Span<byte> response, DnsResponseCode rcode, bool authoritative, bool recursionAvailable)
    {
        var withQuestion = q.QuestionEnd > 0;
        var flags = (ushort)(DnsHeader.FlagResponse | (q.Flags & 0x7800) // opcode
            | (authoritative ? DnsHeader.FlagAuthoritative : 0)
            | (q.Flags & (DnsHeader.FlagRecursionDesired | DnsHeader.FlagCheckingDisabled))
            | (recursionAvailable ? DnsHeader.FlagRecursionAvailable : 0)
            | ((int)rcode & 0xF));
        DnsHeader.Write(response, q.Id, flags, (ushort)(withQuestion ? 1 : 0), 0, 0, 0);
        if (!withQuestion)
        {
            return DnsHeader.Length;
        }
        query[DnsHeader.Length..q.QuestionEnd].CopyTo(response[DnsHeader.Length..]);
        return q.QuestionEnd;
    }

    /// <summary>Appends our OPT record (RFC 6891 6.1.2): our UDP size, the extended RCODE bits, DO echoed (RFC 3225 3).</summary>
    public static int AppendOpt(Span<byte> response, int pos, ushort udpSize, bool dnssecOk, DnsResponseCode rcode)
    {
        var o = response[pos..];
        o[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(o[1..], (ushort)DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(o[3..], udpSize);
        o[5] = (byte)((int)rcode >> 4);
        o[6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(o[7..], dnssecOk ? DnsEdns.DoFlag : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(o[9..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(response[10..], (ushort)(DnsHeader.AdditionalCount(response) + 1));
        return pos + OptLength;
    }

    public static int Append(Span<byte> response, int pos, ReadOnlySpan<byte> records)
    {
        records.CopyTo(response[pos..]);
        return pos + records.Length;
    }

    public static void SetCounts(Span<byte> response, int answers, int authorities) =>
        DnsHeader.SetCounts(response, (ushort)answers, (ushort)authorities, DnsHeader.AdditionalCount(response));
}
