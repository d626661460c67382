namespace Appliance.Dns.Zone;

/// <summary>
/// Everything served for one name, precomputed as answer-section bytes whose owner is the pointer C0 0C (the
/// question name at offset 12), so an answer is two copies. A node without records is an empty non-terminal.
/// </summary>
internal sealed class DnsNameNode
{
    public const int ARecordLength = 16;
    public const int AaaaRecordLength = 28;

    public byte[]? A { get; set; }

    public byte[]? Aaaa { get; set; }

    public byte[]? Ptr { get; set; }

    public byte PtrCount { get; set; }

    /// <summary>The zone this name belongs to (for the SOA of a NODATA answer), or null for hosts-file names outside any.</summary>
    public DnsAuthority? Authority { get; set; }

    public int ACount => A is null ? 0 : A.Length / ARecordLength;

    public int AaaaCount => Aaaa is null ? 0 : Aaaa.Length / AaaaRecordLength;
}
