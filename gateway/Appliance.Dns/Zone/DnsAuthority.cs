using System.Buffers.Binary;
using System.Net;

namespace Appliance.Dns.Zone;

/// <summary>
/// A zone the server answers for: its origin and its SOA record, precomputed from the TYPE field on (the owner
/// name is written per response as a pointer into the question, since the origin is a suffix of the query name).
/// </summary>
internal sealed class DnsAuthority
{
    public DnsAuthority(string origin, uint negativeTtl, uint serial, IPNetwork? reverseRange = null)
    {
        Origin = origin;
        ReverseRange = reverseRange;
        Span<byte> wire = stackalloc byte[Wire.DnsName.MaxLength];
        OriginWireLength = Wire.DnsName.Encode(origin, wire);
        var mname = origin == "." ? "ns.dns" : "ns.dns." + origin;
        var rname = origin == "." ? "hostmaster" : "hostmaster." + origin;
        Span<byte> m = stackalloc byte[Wire.DnsName.MaxLength];
        Span<byte> r = stackalloc byte[Wire.DnsName.MaxLength];
        var ml = Wire.DnsName.Encode(mname, m);
        var rl = Wire.DnsName.Encode(rname, r);
        var rdlen = ml + rl + 20;
        var tail = new byte[10 + rdlen];
        BinaryPrimitives.WriteUInt16BigEndian(tail, (ushort)Wire.DnsRecordType.SOA);
        BinaryPrimitives.WriteUInt16BigEndian(tail.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt32BigEndian(tail.AsSpan(4), negativeTtl);
        BinaryPrimitives.WriteUInt16BigEndian(tail.AsSpan(8), (ushort)rdlen);
        m[..ml].CopyTo(tail.AsSpan(10));
        r[..rl].CopyTo(tail.AsSpan(10 + ml));
        var f = tail.AsSpan(10 + ml + rl);
        BinaryPrimitives.WriteUInt32BigEndian(f, serial);
        BinaryPrimitives.WriteUInt32BigEndian(f[4..], 7200);
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], 1800);
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 86400);
        BinaryPrimitives.WriteUInt32BigEndian(f[16..], negativeTtl);
        SoaTail = tail;
    }

    public string Origin { get; }

    public int OriginWireLength { get; }

    /// <summary>For a reverse zone: the mesh range whose addresses it answers for (the zone is rounded out to octets).</summary>
    public IPNetwork? ReverseRange { get; }

    /// <summary>TYPE, CLASS, TTL, RDLENGTH and RDATA of the SOA record.</summary>
    public byte[] SoaTail { get; }

    /// <summary>Writes the SOA record whose owner is the origin, a suffix of the query name at offset 12.</summary>
    public int WriteSoa(Span<byte> dst, int qnameWireLength)
    {
        var ownerOffset = 12 + qnameWireLength - OriginWireLength;
        BinaryPrimitives.WriteUInt16BigEndian(dst, (ushort)(0xC000 | ownerOffset));
        SoaTail.CopyTo(dst[2..]);
        return 2 + SoaTail.Length;
    }
}
