using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Tests;

/// <summary>A minimal client for tests: builds queries with our codec, sends them over UDP or TCP, parses answers.</summary>
internal static class DnsTestClient
{
    public static byte[] Query(string name, DnsRecordType type, ushort id = 0x1234, DnsEdns? edns = null, bool rd = true)
    {
        var m = new DnsMessage { Id = id, RecursionDesired = rd, Edns = edns };
        m.Questions.Add(new DnsQuestion(name, type));
        return m.ToArray();
    }

    public static async Task<byte[]> UdpRawAsync(IPEndPoint server, byte[] query, TimeSpan? timeout = null)
    {
        using var s = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await s.ConnectAsync(server);
        await s.SendAsync(query);
        var buf = new byte[65535];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
        return buf.AsSpan(0, n).ToArray();
    }

    public static async Task<DnsMessage> UdpAsync(IPEndPoint server, string name, DnsRecordType type, DnsEdns? edns = null) =>
        DnsMessage.Parse(await UdpRawAsync(server, Query(name, type, (ushort)Random.Shared.Next(65536), edns)));

    public static async Task<DnsMessage> TcpAsync(IPEndPoint server, string name, DnsRecordType type)
    {
        using var c = new TcpClient();
        await c.ConnectAsync(server);
        var stream = c.GetStream();
        await WriteFramedAsync(stream, Query(name, type));
        return DnsMessage.Parse(await ReadFramedAsync(stream));
    }

    public static async Task WriteFramedAsync(Stream stream, byte[] message)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await stream.WriteAsync(framed);
    }

    public static async Task<byte[]> ReadFramedAsync(Stream stream)
    {
        var len = new byte[2];
        await stream.ReadExactlyAsync(len);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
        await stream.ReadExactlyAsync(body);
        return body;
    }
}
