using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>
/// Cuts a response that does not fit the client's UDP limit (RFC 1035 4.2.1, RFC 2181 9): header with TC set, the
/// question, and the OPT record if there was one (RFC 6891 7), so the client retries over TCP.
/// </summary>
public static class DnsTruncation
{
    /// <summary>Returns the new length (the old one when it already fits).</summary>
    public static int Apply(Span<byte> response, int length, int limit)
    {
        if (length <= limit)
        {
            return length;
        }
        var msg = response[..length];
        if (!DnsRecordWalker.TrySkipQuestions(msg, out var pos))
        {
            pos = DnsHeader.Length;
            BinaryPrimitives.WriteUInt16BigEndian(response[4..], 0);
        }
        var questionEnd = pos;
        var total = DnsHeader.AnswerCount(msg) + DnsHeader.AuthorityCount(msg) + DnsHeader.AdditionalCount(msg);
        DnsRecordPosition opt = default;
        var hasOpt = false;
        for (var i = 0; i < total && DnsRecordWalker.TryRead(msg, pos, out var rr); i++)
        {
            if (rr.Type == DnsRecordType.OPT)
            {
                opt = rr;
                hasOpt = true;
            }
            pos = rr.End;
        }
        var end = questionEnd;
        if (hasOpt && questionEnd + (opt.End - opt.Start) <= limit)
        {
            response[opt.Start..opt.End].CopyTo(response[questionEnd..]);
            end += opt.End - opt.Start;
        }
        DnsHeader.SetFlags(response, (ushort)(DnsHeader.Flags(response) | DnsHeader.FlagTruncated));
        DnsHeader.SetCounts(response, 0, 0, (ushort)(end > questionEnd ? 1 : 0));
        return end;
    }
}
