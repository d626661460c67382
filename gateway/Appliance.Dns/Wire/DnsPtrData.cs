namespace Appliance.Dns.Wire;

/// <summary>PTR: the name an address maps back to (RFC 1035 3.3.12); the name is compressed on the wire.</summary>
public sealed record DnsPtrData(string Name) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteName(Name);
    }

    public override string ToString() => Name;
}
