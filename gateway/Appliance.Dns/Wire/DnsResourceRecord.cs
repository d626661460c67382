namespace Appliance.Dns.Wire;

/// <summary>One resource record (RFC 1035 4.1.3): owner name, type, class, TTL and typed RDATA.</summary>
public sealed record DnsResourceRecord(string Name, DnsRecordType Type, ushort Class, uint Ttl, DnsRecordData Data)
{
    public override string ToString() => $"{Name} {Ttl} {Class} {Type} {Data}";
}
