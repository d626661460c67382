using System.Net;
using System.Net.Sockets;

namespace Appliance.Dns.Wire;

/// <summary>A: one IPv4 address (RFC 1035 3.4.1).</summary>
public sealed record DnsAData : DnsRecordData
{
    public DnsAData(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("an A record holds an IPv4 address", nameof(address));
        }
        Address = address;
    }

    public IPAddress Address { get; }

    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> b = stackalloc byte[4];
        Address.TryWriteBytes(b, out _);
        writer.WriteBytes(b);
    }

    internal static DnsAData Read(ReadOnlySpan<byte> rdata) =>
        rdata.Length == 4 ? new DnsAData(new IPAddress(rdata)) : throw new DnsFormatException($"A RDATA is {rdata.Length} bytes, not 4");

    public override string ToString() => Address.ToString();
}
