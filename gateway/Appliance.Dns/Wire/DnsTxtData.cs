namespace Appliance.Dns.Wire;

/// <summary>TXT: one or more character-strings of up to 255 bytes each (RFC 1035 3.3.14).</summary>
public sealed record DnsTxtData : DnsRecordData
{
    public DnsTxtData(IReadOnlyList<byte[]> strings)
    {
        ArgumentNullException.ThrowIfNull(strings);
        if (strings.Count == 0 || strings.Any(s => s.Length > 255))
        {
            throw new ArgumentException("TXT needs at least one string, each at most 255 bytes", nameof(strings));
        }
        Strings = strings;
    }

    public IReadOnlyList<byte[]> Strings { get; }

    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var s in Strings)
        {
            writer.WriteByte((byte)s.Length);
            writer.WriteBytes(s);
        }
    }

    internal static DnsTxtData Read(ReadOnlySpan<byte> rdata)
    {
        var list = new List<byte[]>();
        var pos = 0;
        while (pos < rdata.Length)
        {
            var len = rdata[pos];
            if (pos + 1 + len > rdata.Length)
            {
                throw new DnsFormatException("TXT character-string runs past its RDATA");
            }
            list.Add(rdata.Slice(pos + 1, len).ToArray());
            pos += 1 + len;
        }
        return list.Count > 0 ? new DnsTxtData(list) : throw new DnsFormatException("TXT RDATA is empty");
    }

    public bool Equals(DnsTxtData? other) =>
        other is not null && Strings.Count == other.Strings.Count && Strings.Zip(other.Strings).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    public override int GetHashCode() => Strings.Count;

    public override string ToString() => string.Join(' ', Strings.Select(s => "\"" + System.Text.Encoding.Latin1.GetString(s) + "\""));
}
