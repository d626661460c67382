namespace Appliance.Dns.Wire;

/// <summary>One entry of the question section (RFC 1035 4.1.2).</summary>
public sealed record DnsQuestion(string Name, DnsRecordType Type, ushort Class = DnsQuestion.ClassIn)
{
    public const ushort ClassIn = 1;

    public override string ToString() => $"{Name} {Class} {Type}";
}
