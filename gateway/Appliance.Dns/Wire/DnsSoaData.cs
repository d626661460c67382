using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>SOA: start of a zone of authority (RFC 1035 3.3.13); <see cref="Minimum"/> is the negative-caching TTL (RFC 2308 4).</summary>
public sealed record DnsSoaData(string MName, string RName, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteName(MName);
        writer.WriteName(RName);
        writer.WriteUInt32(Serial);
        writer.WriteUInt32(Refresh);
        writer.WriteUInt32(Retry);
        writer.WriteUInt32(Expire);
        writer.WriteUInt32(Minimum);
    }

    internal static DnsSoaData Read(ReadOnlySpan<byte> msg, ref int offset, int end)
    {
        var m = ReadNameWithin(msg, ref offset, end);
        var r = ReadNameWithin(msg, ref offset, end);
        if (end - offset != 20)
        {
            throw new DnsFormatException($"SOA RDATA has {end - offset} bytes after the names, not 20");
        }
        var f = msg.Slice(offset, 20);
        offset = end;
        return new DnsSoaData(m, r,
            BinaryPrimitives.ReadUInt32BigEndian(f), BinaryPrimitives.ReadUInt32BigEndian(f[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(f[8..]), BinaryPrimitives.ReadUInt32BigEndian(f[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(f[16..]));
    }

    public override string ToString() => $"{MName} {RName} {Serial} {Refresh} {Retry} {Expire} {Minimum}";
}
