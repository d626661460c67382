using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>
/// A whole DNS message (RFC 1035 4.1) as plain data, with the OPT record lifted out into <see cref="Edns"/>.
/// <see cref="Parse"/> and <see cref="Write"/> are pure functions over bytes.
/// </summary>
public sealed class DnsMessage
{
    public ushort Id { get; set; }

    public bool IsResponse { get; set; }

    public DnsOpcode Opcode { get; set; }

    public bool Authoritative { get; set; }

    public bool Truncated { get; set; }

    public bool RecursionDesired { get; set; }

    public bool RecursionAvailable { get; set; }

    public bool AuthenticData { get; set; }

    public bool CheckingDisabled { get; set; }

    /// <summary>The full RCODE: the header's 4 bits plus, with EDNS, the OPT record's upper 8 bits.</summary>
    public DnsResponseCode ResponseCode { get; set; }

    public List<DnsQuestion> Questions { get; } = [];

    public List<DnsResourceRecord> Answers { get; } = [];

    public List<DnsResourceRecord> Authorities { get; } = [];

    /// <summary>The additional section without the OPT record.</summary>
    public List<DnsResourceRecord> Additionals { get; } = [];

    public DnsEdns? Edns { get; set; }

    /// <summary>Parses a message; throws <see cref="DnsFormatException"/> naming the first problem.</summary>
    public static DnsMessage Parse(ReadOnlySpan<byte> wire)
    {
        if (wire.Length < DnsHeader.Length)
        {
            throw new DnsFormatException($"message of {wire.Length} bytes is shorter than the 12-byte header");
        }
        var flags = DnsHeader.Flags(wire);
        var m = new DnsMessage
        {
            Id = DnsHeader.Id(wire),
            IsResponse = (flags & DnsHeader.FlagResponse) != 0,
            Opcode = DnsHeader.Opcode(flags),
            Authoritative = (flags & DnsHeader.FlagAuthoritative) != 0,
            Truncated = (flags & DnsHeader.FlagTruncated) != 0,
            RecursionDesired = (flags & DnsHeader.FlagRecursionDesired) != 0,
            RecursionAvailable = (flags & DnsHeader.FlagRecursionAvailable) != 0,
            AuthenticData = (flags & DnsHeader.FlagAuthenticData) != 0,
            CheckingDisabled = (flags & DnsHeader.FlagCheckingDisabled) != 0,
        };
        var rcode = DnsHeader.Rcode(flags);
        var pos = DnsHeader.Length;
        for (var i = 0; i < DnsHeader.QuestionCount(wire); i++)
        {
            var name = DnsName.Read(wire, ref pos);
            if (pos + 4 > wire.Length)
            {
                throw new DnsFormatException($"question {i} is truncated");
            }
            m.Questions.Add(new DnsQuestion(name, (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(wire[pos..]), BinaryPrimitives.ReadUInt16BigEndian(wire[(pos + 2)..])));
            pos += 4;
        }
        ReadSection(wire, ref pos, DnsHeader.AnswerCount(wire), m.Answers, m, "answer");
        ReadSection(wire, ref pos, DnsHeader.AuthorityCount(wire), m.Authorities, m, "authority");
        ReadSection(wire, ref pos, DnsHeader.AdditionalCount(wire), m.Additionals, m, "additional");
        if (pos != wire.Length)
        {
            throw new DnsFormatException($"{wire.Length - pos} bytes after the last record");
        }
        m.ResponseCode = (DnsResponseCode)(rcode | ((m.Edns?.ExtendedRcode ?? 0) << 4));
        return m;
    }

    /// <summary>Parses, or returns false with the reason.</summary>
    public static bool TryParse(ReadOnlySpan<byte> wire, out DnsMessage? message, out string error)
    {
        try
        {
            message = Parse(wire);
            error = "";
            return true;
        }
        catch (DnsFormatException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Writes the message with name compression into <paramref name="buffer"/>; returns the length.</summary>
    /// <exception cref="ArgumentException">The message does not fit, or holds an invalid name.</exception>
    public int Write(byte[] buffer)
    {
        var w = new DnsWireWriter(buffer);
        var rcode = (int)ResponseCode;
        if (rcode > 0xF && Edns is null)
        {
            throw new ArgumentException($"RCODE {rcode} needs EDNS");
        }
        var flags = (ushort)((IsResponse ? DnsHeader.FlagResponse : 0) | ((int)Opcode << 11)
            | (Authoritative ? DnsHeader.FlagAuthoritative : 0) | (Truncated ? DnsHeader.FlagTruncated : 0)
            | (RecursionDesired ? DnsHeader.FlagRecursionDesired : 0) | (RecursionAvailable ? DnsHeader.FlagRecursionAvailable : 0)
            | (AuthenticData ? DnsHeader.FlagAuthenticData : 0) | (CheckingDisabled ? DnsHeader.FlagCheckingDisabled : 0)
            | (rcode & 0xF));
        w.WriteUInt16(Id);
        w.WriteUInt16(flags);
        w.WriteUInt16(checked((ushort)Questions.Count));
        w.WriteUInt16(checked((ushort)Answers.Count));
        w.WriteUInt16(checked((ushort)Authorities.Count));
        w.WriteUInt16(checked((ushort)(Additionals.Count + (Edns is null ? 0 : 1))));
        foreach (var q in Questions)
        {
            w.WriteName(q.Name);
            w.WriteUInt16((ushort)q.Type);
            w.WriteUInt16(q.Class);
        }
        foreach (var rr in Answers.Concat(Authorities).Concat(Additionals))
        {
            WriteRecord(w, rr);
        }
        if (Edns is { } e)
        {
            w.WriteByte(0);
            w.WriteUInt16((ushort)DnsRecordType.OPT);
            w.WriteUInt16(e.UdpPayloadSize);
            w.WriteUInt32((e with { ExtendedRcode = (byte)(rcode >> 4) }).TtlField);
            w.WriteUInt16(checked((ushort)e.Options.Length));
            w.WriteBytes(e.Options);
        }
        return w.Position;
    }

    /// <summary>The message as a new array (up to 64 KiB).</summary>
    public byte[] ToArray()
    {
        var buffer = new byte[ushort.MaxValue];
        return buffer.AsSpan(0, Write(buffer)).ToArray();
    }

    private static void WriteRecord(DnsWireWriter w, DnsResourceRecord rr)
    {
        w.WriteName(rr.Name);
        w.WriteUInt16((ushort)rr.Type);
        w.WriteUInt16(rr.Class);
        w.WriteUInt32(rr.Ttl);
        var lengthAt = w.Position;
        w.WriteUInt16(0);
        rr.Data.Write(w);
        w.PatchUInt16(lengthAt, checked((ushort)(w.Position - lengthAt - 2)));
    }

    private static void ReadSection(ReadOnlySpan<byte> wire, ref int pos, int count, List<DnsResourceRecord> into, DnsMessage m, string section)
    {
        for (var i = 0; i < count; i++)
        {
            var name = DnsName.Read(wire, ref pos);
            if (pos + 10 > wire.Length)
            {
                throw new DnsFormatException($"{section} record {i} is truncated (header)");
            }
            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(wire[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(wire[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(wire[(pos + 4)..]);
            var rdlen = BinaryPrimitives.ReadUInt16BigEndian(wire[(pos + 8)..]);
            pos += 10;
            if (pos + rdlen > wire.Length)
            {
                throw new DnsFormatException($"{section} record {i} RDATA ({rdlen} bytes) runs past the message");
            }
            if (type == DnsRecordType.OPT)
            {
                // RFC 6891 6.1.1: only in the additional section, at most once, owned by the root.
                if (section != "additional" || m.Edns is not null || name != DnsName.Root)
                {
                    throw new DnsFormatException("misplaced or repeated OPT record");
                }
                m.Edns = new DnsEdns(cls, (byte)(ttl >> 16), (ttl & DnsEdns.DoFlag) != 0, (byte)(ttl >> 24)) { Options = wire.Slice(pos, rdlen).ToArray() };
            }
            else
            {
                into.Add(new DnsResourceRecord(name, type, cls, ttl, DnsRecordData.Read(type, wire, pos, rdlen)));
            }
            pos += rdlen;
        }
    }
}
