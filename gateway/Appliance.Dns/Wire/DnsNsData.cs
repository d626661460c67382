namespace Appliance.Dns.Wire;

/// <summary>NS: an authoritative name server of the zone (RFC 1035 3.3.11); the name is compressed on the wire.</summary>
public sealed record DnsNsData(string Name) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteName(Name);
    }

    public override string ToString() => Name;
}
