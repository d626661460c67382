namespace Appliance.Dns.Wire;

/// <summary>MX: preference and mail exchanger (RFC 1035 3.3.9); the name is compressed on the wire.</summary>
public sealed record DnsMxData(ushort Preference, string Exchange) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteUInt16(Preference);
        writer.WriteName(Exchange);
    }

    internal static DnsMxData Read(ReadOnlySpan<byte> msg, ref int offset, int end)
    {
        if (end - offset < 3)
        {
            throw new DnsFormatException("MX RDATA too short");
        }
        var pref = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(msg[offset..]);
        offset += 2;
        var name = ReadNameWithin(msg, ref offset, end);
        return offset == end ? new DnsMxData(pref, name) : throw new DnsFormatException("MX RDATA has bytes after the name");
    }

    public override string ToString() => $"{Preference} {Exchange}";
}
