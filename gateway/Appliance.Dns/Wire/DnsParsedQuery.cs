namespace Appliance.Dns.Wire;

/// <summary>
/// A query as the server needs it, read in place: the question (name uncompressed at offset 12), and the EDNS
/// fields of its OPT record. <see cref="QuestionEnd"/> is 0 when the question itself is unusable.
/// </summary>
public readonly record struct DnsParsedQuery(
    ushort Id,
    ushort Flags,
    int QNameLength,
    DnsRecordType QType,
    ushort QClass,
    int QuestionEnd,
    bool HasEdns,
    ushort EdnsUdpSize,
    bool DnssecOk)
{
    /// <summary>The most a UDP answer may hold: 512 without EDNS (RFC 1035 4.2.1), else the advertised size (at least 512).</summary>
    public int UdpLimit(int serverMax) => HasEdns ? Math.Clamp(EdnsUdpSize, 512, Math.Max(512, serverMax)) : 512;

    public bool RecursionDesired => (Flags & DnsHeader.FlagRecursionDesired) != 0;

    public bool CheckingDisabled => (Flags & DnsHeader.FlagCheckingDisabled) != 0;
}
