using System.Net.Sockets;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>The real listeners on loopback: truncation by the server, TCP framing, pipelining and idle timeout.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ServerSocketTests
{
    [Fact]
    public async Task Udp_answer_over_512_without_edns_is_truncated_by_the_server()
    {
        await using var s = await DnsTestServer.StartAsync();
        var ep = s.LocalEndpoints[0];
        var plain = await DnsTestClient.UdpAsync(ep, "many.mesh", DnsRecordType.A);
        Assert.True(plain.Truncated);
        Assert.Empty(plain.Answers);
        var edns = await DnsTestClient.UdpAsync(ep, "many.mesh", DnsRecordType.A, new DnsEdns(1232, 0, true));
        Assert.False(edns.Truncated);
        Assert.Equal(60, edns.Answers.Count);
        var small = await DnsTestClient.UdpAsync(ep, "many.mesh", DnsRecordType.A, new DnsEdns(700, 0, true));
        Assert.True(small.Truncated);
        Assert.True(small.Edns is { DnssecOk: true }, "the OPT record survives truncation");
        var tcp = await DnsTestClient.TcpAsync(ep, "many.mesh", DnsRecordType.A);
        Assert.Equal(60, tcp.Answers.Count);
        Assert.Equal(2, s.Statistics.Truncated);
    }

    [Fact]
    public async Task Tcp_pipelined_queries_are_all_answered_on_one_connection()
    {
        await using var s = await DnsTestServer.StartAsync();
        using var c = new TcpClient();
        await c.ConnectAsync(s.LocalEndpoints[0]);
        var stream = c.GetStream();
        string[] names = ["node1.mesh", "node2.mesh", "phone.mesh", "ghost.mesh", "printer.office.mesh", "many.mesh"];
        // All queries in one write, before reading anything.
        using var batch = new MemoryStream();
        for (var i = 0; i < names.Length; i++)
        {
            await DnsTestClient.WriteFramedAsync(batch, DnsTestClient.Query(names[i], DnsRecordType.A, (ushort)(100 + i)));
        }
        await stream.WriteAsync(batch.ToArray());
        var answers = new Dictionary<ushort, DnsMessage>();
        for (var i = 0; i < names.Length; i++)
        {
            var m = DnsMessage.Parse(await DnsTestClient.ReadFramedAsync(stream));
            answers[m.Id] = m;
        }
        Assert.Equal(names.Length, answers.Count);
        Assert.Equal("10.10.0.1", answers[100].Answers.Single().Data.ToString());
        Assert.Equal(DnsResponseCode.NXDomain, answers[103].ResponseCode);
        Assert.Equal("10.10.0.50", answers[104].Answers.Single().Data.ToString());
        Assert.Equal(60, answers[105].Answers.Count);
        Assert.Equal(1, s.Statistics.TcpConnections);
    }

    [Fact]
    public async Task Idle_tcp_connection_is_closed_after_the_timeout()
    {
        await using var s = await DnsTestServer.StartAsync(o => o.TcpIdleTimeout = TimeSpan.FromMilliseconds(300));
        using var c = new TcpClient();
        await c.ConnectAsync(s.LocalEndpoints[0]);
        var stream = c.GetStream();
        await DnsTestClient.WriteFramedAsync(stream, DnsTestClient.Query("node1.mesh", DnsRecordType.A));
        Assert.Single(DnsMessage.Parse(await DnsTestClient.ReadFramedAsync(stream)).Answers);
        var buf = new byte[1];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(0, await stream.ReadAsync(buf, cts.Token)); // EOF: the server closed it
    }

    [Fact]
    public async Task Udp_and_tcp_share_the_port_and_stop_cleanly()
    {
        var s = await DnsTestServer.StartAsync();
        var ep = s.LocalEndpoints[0];
        Assert.NotEqual(0, ep.Port);
        Assert.Single((await DnsTestClient.TcpAsync(ep, "node1.mesh", DnsRecordType.A)).Answers);
        await s.DisposeAsync();
        using var probe = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(ep));
    }
}
