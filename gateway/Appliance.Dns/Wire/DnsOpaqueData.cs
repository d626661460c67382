namespace Appliance.Dns.Wire;

/// <summary>RDATA of a type this codec does not interpret, carried byte for byte (RFC 3597).</summary>
public sealed record DnsOpaqueData(byte[] Bytes) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteBytes(Bytes);
    }

    public bool Equals(DnsOpaqueData? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override int GetHashCode() => Bytes.Length;

    public override string ToString() => $"\\# {Bytes.Length} {Convert.ToHexString(Bytes)}";
}
