using System.Buffers.Binary;

namespace Appliance.Dns.Wire;

/// <summary>SRV: priority, weight, port and target (RFC 2782); the target is never compressed when written.</summary>
public sealed record DnsSrvData(ushort Priority, ushort Weight, ushort Port, string Target) : DnsRecordData
{
    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteUInt16(Priority);
        writer.WriteUInt16(Weight);
        writer.WriteUInt16(Port);
        writer.WriteName(Target, compress: false);
    }

    internal static DnsSrvData Read(ReadOnlySpan<byte> msg, ref int offset, int end)
    {
        if (end - offset < 7)
        {
            throw new DnsFormatException("SRV RDATA too short");
        }
        var p = BinaryPrimitives.ReadUInt16BigEndian(msg[offset..]);
        var w = BinaryPrimitives.ReadUInt16BigEndian(msg[(offset + 2)..]);
        var port = BinaryPrimitives.ReadUInt16BigEndian(msg[(offset + 4)..]);
        offset += 6;
        var target = ReadNameWithin(msg, ref offset, end);
        return offset == end ? new DnsSrvData(p, w, port, target) : throw new DnsFormatException("SRV RDATA has bytes after the target");
    }

    public override string ToString() => $"{Priority} {Weight} {Port} {Target}";
}
