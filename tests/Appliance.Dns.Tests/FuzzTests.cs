using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// Hundreds of thousands of mutated queries against the live server: bit flips, truncations, random lengths and
/// pointer tricks from a golden corpus. The server must not crash or hang, must count every datagram, and must keep
/// answering a normal client during and after.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class FuzzTests
{
    private const int UdpMutations = 300_000;
    private const int TcpMutations = 5_000;

    private static readonly byte[][] Corpus =
    [
        DnsTestClient.Query("node1.mesh", DnsRecordType.A),
        DnsTestClient.Query("node2.mesh", DnsRecordType.AAAA, edns: new DnsEdns(1232, 0, true)),
        DnsTestClient.Query("1.0.10.10.in-addr.arpa", DnsRecordType.PTR),
        DnsTestClient.Query("ghost.mesh", DnsRecordType.TXT, edns: new DnsEdns(4096) { Options = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8] }),
        DnsTestClient.Query("many.mesh", DnsRecordType.ANY),
        DnsTestClient.Query("external.invalid", DnsRecordType.A),
    ];

    [Fact]
    public async Task Mutated_queries_never_crash_or_hang_the_server()
    {
        // An upstream that never answers: forwarded garbage must time out to SERVFAIL, not pile up forever.
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var s = await DnsTestServer.StartAsync(o =>
        {
            o.Upstreams.Add((IPEndPoint)blackhole.LocalEndPoint!);
            o.UpstreamTimeout = TimeSpan.FromMilliseconds(200);
        });
        var ep = s.LocalEndpoints[0];
        var rng = new Random(20261122);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Connect(ep);
        var sent = 0;
        var probesOk = 0;
        var probes = 0;
        var badProbes = new List<string>();
        for (var i = 0; i < UdpMutations; i++)
        {
            var m = Mutate(Corpus[rng.Next(Corpus.Length)], rng);
            if (m.Length == 0)
            {
                continue;
            }
            sender.Send(m);
            sent++;
            if (i % 500 == 0)
            {
                // Pace the sender so the kernel buffer keeps up; a normal client must still be answered meanwhile.
                probes++;
                var probe = await DnsTestClient.UdpAsync(ep, "node1.mesh", DnsRecordType.A);
                if (probe.Answers.Count == 1)
                {
                    probesOk++;
                }
                else
                {
                    badProbes.Add($"{probe.ResponseCode} tc={probe.Truncated} q={string.Join(',', probe.Questions)} an={probe.Answers.Count}");
                }
                await WaitForAsync(() => s.Statistics.UdpReceived >= sent + probesOk - 5, TimeSpan.FromSeconds(10));
            }
        }
        await WaitForAsync(() => s.Statistics.UdpReceived >= sent + probesOk, TimeSpan.FromSeconds(30));

        var tcpSent = 0;
        for (var conn = 0; conn < 50; conn++)
        {
            using var c = new TcpClient();
            await c.ConnectAsync(ep);
            var stream = c.GetStream();
            using var batch = new MemoryStream();
            for (var i = 0; i < TcpMutations / 50; i++)
            {
                var m = Mutate(Corpus[rng.Next(Corpus.Length)], rng);
                await DnsTestClient.WriteFramedAsync(batch, m);
                tcpSent++;
            }
            // Sometimes a frame that lies about its length, then hang up mid-message.
            batch.Write([0x01, 0x00, 0xAB]);
            await stream.WriteAsync(batch.ToArray());
        }
        await WaitForAsync(() => s.Statistics.TcpReceived >= tcpSent, TimeSpan.FromSeconds(30));

        var after = await DnsTestClient.UdpAsync(ep, "node1.mesh", DnsRecordType.A);
        Assert.Equal("10.10.0.1", after.Answers.Single().Data.ToString());
        var afterTcp = await DnsTestClient.TcpAsync(ep, "node2.mesh", DnsRecordType.AAAA);
        Assert.Equal("fd10::2", afterTcp.Answers.Single().Data.ToString());
        var st = s.Statistics;
        Console.WriteLine($"fuzz: sent udp={sent} tcp={tcpSent}; server: {st}");
        Assert.True(st.UdpReceived >= sent, $"server counted {st.UdpReceived} UDP datagrams of {sent} sent");
        Assert.True(st.TcpReceived >= tcpSent, $"server counted {st.TcpReceived} TCP messages of {tcpSent} sent");
        Assert.True(probesOk == probes && probes > 500, $"only {probesOk} of {probes} normal queries answered during the fuzzing: {string.Join("; ", badProbes)}");
        Assert.Equal(0, st.HandlerErrors);
        Assert.True(st.FormErr > 1000 && st.Dropped > 100, st.ToString());
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = (byte[])seed.Clone();
        switch (rng.Next(7))
        {
            case 0: // bit flips
                for (var k = rng.Next(1, 6); k > 0; k--)
                {
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                }
                return b;
            case 1: // truncation
                return b[..rng.Next(b.Length)];
            case 2: // random bytes of random length
                var r = new byte[rng.Next(0, 600)];
                rng.NextBytes(r);
                return r;
            case 3: // a compression pointer somewhere in the name, to anywhere
                var at = rng.Next(12, Math.Max(13, b.Length - 1));
                b[at] = (byte)(0xC0 | rng.Next(0x40));
                b[at + 1] = (byte)rng.Next(256);
                return b;
            case 4: // counts that lie
                b[4 + (2 * rng.Next(4))] = (byte)rng.Next(256);
                b[5 + (2 * rng.Next(4))] = (byte)rng.Next(256);
                return b;
            case 5: // appended garbage
                var g = new byte[rng.Next(1, 64)];
                rng.NextBytes(g);
                return [.. b, .. g];
            default: // a label length byte changed
                b[12] = (byte)rng.Next(256);
                return b;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return;
            }
            await Task.Delay(5);
        }
    }
}
