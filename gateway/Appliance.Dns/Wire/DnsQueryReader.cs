namespace Appliance.Dns.Wire;

/// <summary>
/// Reads an incoming query in place (no allocation): header, the single question, and the OPT record of the
/// additional section; every section is walked so counts that overrun the message are caught.
/// </summary>
public static class DnsQueryReader
{
    public static DnsQueryStatus TryRead(ReadOnlySpan<byte> msg, out DnsParsedQuery query)
    {
        query = default;
        if (msg.Length < DnsHeader.Length)
        {
            return DnsQueryStatus.Drop;
        }
        var id = DnsHeader.Id(msg);
        var flags = DnsHeader.Flags(msg);
        query = new DnsParsedQuery(id, flags, 0, 0, 0, 0, false, 0, false);
        if ((flags & DnsHeader.FlagResponse) != 0)
        {
            return DnsQueryStatus.Drop;
        }
        var question = ReadQuestion(msg, out var qnameLength, out var qtype, out var qclass);
        query = query with { QNameLength = qnameLength, QType = qtype, QClass = qclass, QuestionEnd = question };
        if (DnsHeader.Opcode(flags) != DnsOpcode.Query)
        {
            return DnsQueryStatus.NotImp;
        }
        if (question == 0 || DnsHeader.QuestionCount(msg) != 1)
        {
            return DnsQueryStatus.FormErr;
        }
        var pos = question;
        var records = DnsHeader.AnswerCount(msg) + DnsHeader.AuthorityCount(msg);
        var additional = DnsHeader.AdditionalCount(msg);
        for (var i = 0; i < records + additional; i++)
        {
            if (!DnsRecordWalker.TryRead(msg, pos, out var rr))
            {
                return DnsQueryStatus.FormErr;
            }
            if (rr.Type == DnsRecordType.OPT)
            {
                // RFC 6891 6.1.1: one OPT, in the additional section, owned by the root name.
                if (i < records || query.HasEdns || msg[pos] != 0)
                {
                    return DnsQueryStatus.FormErr;
                }
                var version = msg[rr.TtlOffset + 1];
                var doBit = (msg[rr.TtlOffset + 2] & 0x80) != 0;
                query = query with { HasEdns = true, EdnsUdpSize = rr.Class, DnssecOk = doBit };
                if (version != 0)
                {
                    pos = rr.End;
                    return DnsQueryStatus.BadVers;
                }
            }
            pos = rr.End;
        }
        return pos == msg.Length ? DnsQueryStatus.Ok : DnsQueryStatus.FormErr;
    }

    // The first question, which in a query cannot use a compression pointer (nothing precedes it to point at).
    private static int ReadQuestion(ReadOnlySpan<byte> msg, out int nameLength, out DnsRecordType type, out ushort cls)
    {
        nameLength = 0;
        type = 0;
        cls = 0;
        if (DnsHeader.QuestionCount(msg) == 0)
        {
            return 0;
        }
        var pos = DnsHeader.Length;
        while (true)
        {
            if (pos >= msg.Length)
            {
                return 0;
            }
            var len = msg[pos];
            if (len == 0)
            {
                pos++;
                break;
            }
            if (len > DnsName.MaxLabelLength || pos + 1 + len > msg.Length)
            {
                return 0;
            }
            pos += 1 + len;
            if (pos - DnsHeader.Length + 1 > DnsName.MaxLength)
            {
                return 0;
            }
        }
        if (pos + 4 > msg.Length)
        {
            return 0;
        }
        nameLength = pos - DnsHeader.Length;
        type = (DnsRecordType)System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(msg[pos..]);
        cls = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(msg[(pos + 2)..]);
        return pos + 4;
    }
}
