using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Forwarding;

/// <summary>
/// Queries an upstream over UDP from a fresh socket (random source port per query, RFC 5452 9.2), ignores datagrams
/// whose ID does not match, and retries over TCP when the answer comes back truncated (RFC 7766 5).
/// </summary>
public sealed class DnsUpstreamClient : IDnsUpstreamTransport
{
    public async Task<byte[]> ExchangeAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var udp = await UdpAsync(upstream, query, cts.Token).ConfigureAwait(false);
        if ((DnsHeader.Flags(udp) & DnsHeader.FlagTruncated) == 0)
        {
            return udp;
        }
        return await TcpAsync(upstream, query, cts.Token).ConfigureAwait(false);
    }

    private static async Task<byte[]> UdpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, CancellationToken ct)
    {
        using var s = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await s.ConnectAsync(upstream, ct).ConfigureAwait(false);
        await s.SendAsync(query, SocketFlags.None, ct).ConfigureAwait(false);
        // We advertise 1232 bytes upstream; anything bigger comes back truncated and is fetched over TCP.
        var buf = new byte[4096];
        var id = DnsHeader.Id(query.Span);
        while (true)
        {
            var n = await s.ReceiveAsync(buf, SocketFlags.None, ct).ConfigureAwait(false);
            if (n >= DnsHeader.Length && DnsHeader.Id(buf) == id)
            {
                return buf.AsSpan(0, n).ToArray();
            }
        }
    }

    private static async Task<byte[]> TcpAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, CancellationToken ct)
    {
        using var s = new Socket(upstream.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(upstream, ct).ConfigureAwait(false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed.AsMemory(2));
        await s.SendAsync(framed, SocketFlags.None, ct).ConfigureAwait(false);
        var len = new byte[2];
        await ReceiveExactlyAsync(s, len, ct).ConfigureAwait(false);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
        await ReceiveExactlyAsync(s, body, ct).ConfigureAwait(false);
        if (body.Length < DnsHeader.Length || DnsHeader.Id(body) != DnsHeader.Id(query.Span))
        {
            throw new IOException($"upstream {upstream} answered over TCP with a mismatched message");
        }
        return body;
    }

    private static async Task ReceiveExactlyAsync(Socket s, Memory<byte> into, CancellationToken ct)
    {
        while (into.Length > 0)
        {
            var n = await s.ReceiveAsync(into, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("upstream closed the TCP connection mid-message");
            }
            into = into[n..];
        }
    }
}
