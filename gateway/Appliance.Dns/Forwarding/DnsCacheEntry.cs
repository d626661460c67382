using System.Buffers.Binary;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Forwarding;

/// <summary>
/// An upstream answer kept as wire bytes: everything after the question (OPT removed), plus where each TTL sits
/// so it can be counted down when served. Compression pointers stay valid because the client's question has the
/// same length as the upstream's (same name, case aside) and the header is always 12 bytes.
/// </summary>
public sealed class DnsCacheEntry
{
    private DnsCacheEntry(ushort flags, ushort an, ushort ns, ushort ar, byte[] body, int[] ttlOffsets, uint[] ttls, TimeSpan lifetime)
    {
        Flags = flags;
        AnswerCount = an;
        AuthorityCount = ns;
        AdditionalCount = ar;
        Body = body;
        TtlOffsets = ttlOffsets;
        Ttls = ttls;
        Lifetime = lifetime;
    }

    public ushort Flags { get; }

    public DnsResponseCode ResponseCode => (DnsResponseCode)(Flags & 0xF);

    public ushort AnswerCount { get; }

    public ushort AuthorityCount { get; }

    public ushort AdditionalCount { get; }

    public byte[] Body { get; }

    internal int[] TtlOffsets { get; }

    internal uint[] Ttls { get; }

    /// <summary>How long it may be cached: the smallest answer TTL, or for NXDOMAIN/NODATA the SOA's (RFC 2308 5). Zero: do not cache.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>
    /// Checks an upstream response against the question we sent (ID, QR, one question, same name/type/class) and
    /// keeps it; null when it does not match or is malformed.
    /// </summary>
    public static DnsCacheEntry? TryCreate(ReadOnlySpan<byte> sentQuery, int sentQuestionEnd, ReadOnlySpan<byte> resp, TimeSpan maxTtl, TimeSpan maxNegativeTtl)
    {
        if (resp.Length < DnsHeader.Length || DnsHeader.Id(resp) != DnsHeader.Id(sentQuery)
            || (DnsHeader.Flags(resp) & DnsHeader.FlagResponse) == 0 || DnsHeader.QuestionCount(resp) != 1
            || resp.Length < sentQuestionEnd
            || !EqualsIgnoreCase(resp[DnsHeader.Length..sentQuestionEnd], sentQuery[DnsHeader.Length..sentQuestionEnd]))
        {
            return null;
        }
        var flags = DnsHeader.Flags(resp);
        var rcode = DnsHeader.Rcode(flags);
        int an = DnsHeader.AnswerCount(resp), ns = DnsHeader.AuthorityCount(resp), ar = DnsHeader.AdditionalCount(resp);
        var pos = sentQuestionEnd;
        var end = resp.Length;
        var offsets = new List<int>();
        var ttls = new List<uint>();
        var minAnswer = uint.MaxValue;
        var negative = uint.MaxValue;
        var keptAr = 0;
        for (var i = 0; i < an + ns + ar; i++)
        {
            if (!DnsRecordWalker.TryRead(resp, pos, out var rr))
            {
                return null;
            }
            if (rr.Type == DnsRecordType.OPT)
            {
                // Drop the upstream's OPT (we add our own) and anything after it, which might point into it.
                end = rr.Start;
                break;
            }
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(resp[rr.TtlOffset..]);
            if (i < an)
            {
                minAnswer = Math.Min(minAnswer, ttl);
            }
            else if (i < an + ns && rr.Type == DnsRecordType.SOA && rr.RdataLength >= 22)
            {
                var minimum = BinaryPrimitives.ReadUInt32BigEndian(resp[(rr.End - 4)..]);
                negative = Math.Min(ttl, minimum);
            }
            else if (i >= an + ns)
            {
                keptAr++;
            }
            offsets.Add(rr.TtlOffset - sentQuestionEnd);
            ttls.Add(ttl);
            pos = rr.End;
        }
        var isNegative = rcode == (int)DnsResponseCode.NXDomain || (rcode == 0 && an == 0);
        var seconds = rcode is 0 or 3
            ? isNegative
                ? negative == uint.MaxValue ? 0 : Math.Min(negative, (uint)maxNegativeTtl.TotalSeconds)
                : Math.Min(minAnswer, (uint)maxTtl.TotalSeconds)
            : 0;
        // Serve no TTL longer than we keep the entry (as CoreDNS's cache does).
        var capped = seconds > 0 ? ttls.Select(t => Math.Min(t, seconds)).ToArray() : [.. ttls];
        return new DnsCacheEntry(flags, (ushort)an, (ushort)ns, (ushort)keptAr, resp[sentQuestionEnd..end].ToArray(), [.. offsets], capped, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>Writes the records after the question with TTLs reduced by <paramref name="age"/>; returns bytes written.</summary>
    public int WriteBody(Span<byte> dst, TimeSpan age)
    {
        Body.CopyTo(dst);
        var elapsed = (uint)Math.Max(0, age.TotalSeconds);
        for (var i = 0; i < TtlOffsets.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(dst[TtlOffsets[i]..], Ttls[i] > elapsed ? Ttls[i] - elapsed : 0);
        }
        return Body.Length;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && !(char.IsAsciiLetter((char)a[i]) && (a[i] | 0x20) == (b[i] | 0x20)))
            {
                return false;
            }
        }
        return true;
    }
}
