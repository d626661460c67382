using System.Net;
using System.Net.Sockets;

namespace Appliance.Dns.Wire;

/// <summary>AAAA: one IPv6 address (RFC 3596 2.2).</summary>
public sealed record DnsAaaaData : DnsRecordData
{
    public DnsAaaaData(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("an AAAA record holds an IPv6 address", nameof(address));
        }
        Address = address;
    }

    public IPAddress Address { get; }

    public override void Write(DnsWireWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> b = stackalloc byte[16];
        Address.TryWriteBytes(b, out _);
        writer.WriteBytes(b);
    }

    internal static DnsAaaaData Read(ReadOnlySpan<byte> rdata) =>
        rdata.Length == 16 ? new DnsAaaaData(new IPAddress(rdata)) : throw new DnsFormatException($"AAAA RDATA is {rdata.Length} bytes, not 16");

    public override string ToString() => Address.ToString();
}
