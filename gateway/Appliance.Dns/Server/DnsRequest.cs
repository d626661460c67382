using System.Net;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Server;

/// <summary>One incoming query as handed to an <see cref="IDnsRequestHandler"/>: raw bytes, what the reader made of them, and where it came from.</summary>
public readonly record struct DnsRequest(ReadOnlyMemory<byte> Query, DnsQueryStatus Status, DnsParsedQuery Parsed, DnsTransport Transport, SocketAddress Remote)
{
    /// <summary>Reads <paramref name="query"/> and wraps it.</summary>
    public static DnsRequest Create(ReadOnlyMemory<byte> query, DnsTransport transport, SocketAddress remote)
    {
        var status = DnsQueryReader.TryRead(query.Span, out var parsed);
        return new DnsRequest(query, status, parsed, transport, remote);
    }
}
