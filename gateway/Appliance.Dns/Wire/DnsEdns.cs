namespace Appliance.Dns.Wire;

/// <summary>
/// The EDNS(0) OPT pseudo-record (RFC 6891 6.1): the requester's UDP payload size (in the CLASS field), the
/// extended RCODE bits, version and the DO bit (RFC 3225) from the TTL field, and the options, kept as raw bytes.
/// </summary>
public sealed record DnsEdns(ushort UdpPayloadSize = 1232, byte Version = 0, bool DnssecOk = false, byte ExtendedRcode = 0)
{
    public const ushort DoFlag = 0x8000;

    /// <summary>The option list (code, length, data triples) exactly as on the wire.</summary>
    public byte[] Options { get; init; } = [];

    public uint TtlField => ((uint)ExtendedRcode << 24) | ((uint)Version << 16) | (DnssecOk ? DoFlag : 0u);

    public bool Equals(DnsEdns? other) =>
        other is not null && UdpPayloadSize == other.UdpPayloadSize && Version == other.Version && DnssecOk == other.DnssecOk
        && ExtendedRcode == other.ExtendedRcode && Options.AsSpan().SequenceEqual(other.Options);

    public override int GetHashCode() => HashCode.Combine(UdpPayloadSize, Version, DnssecOk, ExtendedRcode);
}
