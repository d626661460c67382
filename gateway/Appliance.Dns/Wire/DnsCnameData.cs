namespace Appliance.Dns.Wire;

/// <summary>CNAME: the canonical name of an alias (RFC 1035 3.3.1); the name is compressed on the wire.</summary>
public sealed record DnsCnameData(string Name) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteName(Name);
    }

    public override string ToString() => Name;
}
