namespace Appliance.Dns.Wire;

/// <summary>The RDATA of one resource record; one subclass per supported type, <see cref="DnsOpaqueData"/> for the rest.</summary>
public abstract record DnsRecordData
{
    /// <summary>Writes the RDATA (without its length prefix).</summary>
    public abstract void Write(DnsWireWriter writer);

    /// <summary>Reads RDATA of <paramref name="type"/> occupying msg[offset..offset+length].</summary>
    public static DnsRecordData Read(DnsRecordType type, ReadOnlySpan<byte> msg, int offset, int length)
    {
        var rdata = msg.Slice(offset, length);
        var end = offset + length;
        DnsRecordData data = type switch
        {
            DnsRecordType.A => DnsAData.Read(rdata),
            DnsRecordType.AAAA => DnsAaaaData.Read(rdata),
            DnsRecordType.PTR => new DnsPtrData(ReadNameWithin(msg, ref offset, end)),
            DnsRecordType.CNAME => new DnsCnameData(ReadNameWithin(msg, ref offset, end)),
            DnsRecordType.NS => new DnsNsData(ReadNameWithin(msg, ref offset, end)),
            DnsRecordType.MX => DnsMxData.Read(msg, ref offset, end),
            DnsRecordType.TXT => DnsTxtData.Read(rdata),
            DnsRecordType.SRV => DnsSrvData.Read(msg, ref offset, end),
            DnsRecordType.SOA => DnsSoaData.Read(msg, ref offset, end),
            _ => new DnsOpaqueData(rdata.ToArray()),
        };
        if (data is DnsPtrData or DnsCnameData or DnsNsData && offset != end)
        {
            throw new DnsFormatException($"{type} RDATA has {end - offset} bytes after the name");
        }
        return data;
    }

    internal static string ReadNameWithin(ReadOnlySpan<byte> msg, ref int offset, int end)
    {
        var name = DnsName.Read(msg, ref offset);
        if (offset > end)
        {
            throw new DnsFormatException("name runs past the end of its RDATA");
        }
        return name;
    }
}
