using System.Globalization;
using System.Net;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// Our server on a random 127.0.0.x address, asked by dig (dnsutils) and kdig (knot-dnsutils), forwarding to a
/// dnsmasq started by the test on loopback; and real resolvers (dnsmasq, unbound) forwarding the mesh zone to us.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class InteropTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("dns-interop");
    private DnsProcess? _upstream;
    private DnsServer? _server;
    private string _ip = "";
    private string _port = "";

    public async Task InitializeAsync()
    {
        var hosts = _dir.Combine("upstream.hosts");
        await File.WriteAllTextAsync(hosts, "192.0.2.77 upstream.test\n192.0.2.78 other.test\n");
        _upstream = await DnsDaemon.DnsmasqAsync(_dir.Path, hosts, "--local-ttl=300", "--local=/test/");
        var address = IPAddress.Parse($"127.0.0.{Random.Shared.Next(2, 250)}");
        _server = await DnsTestServer.StartAsync(o => o.Upstreams.Add(_upstream.Endpoint), address: address);
        _ip = _server.LocalEndpoints[0].Address.ToString();
        _port = _server.LocalEndpoints[0].Port.ToString(CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _upstream?.Dispose();
        _dir.Dispose();
    }

    private async Task<string> DigAsync(params string[] args)
    {
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dig"), ["@" + _ip, "-p", _port, "+time=3", "+tries=1", .. args], timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess("dig " + string.Join(' ', args)).StdOut;
    }

    private async Task<string> KdigAsync(params string[] args)
    {
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("kdig"), ["@" + _ip, "-p", _port, "+time=3", "+retry=0", .. args], timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess("kdig " + string.Join(' ', args)).StdOut;
    }

    [Fact]
    public async Task Dig_gets_a_aaaa_and_ptr()
    {
        Assert.Equal("10.10.0.1", (await DigAsync("+short", "node1.mesh", "A")).Trim());
        Assert.Equal("fd10::2", (await DigAsync("+short", "node2.mesh", "AAAA")).Trim());
        Assert.Equal("node1.mesh.", (await DigAsync("+short", "-x", "10.10.0.1")).Trim());
        Assert.Equal("node2.mesh.", (await DigAsync("+short", "-x", "fd10::2")).Trim());
        var full = await DigAsync("node1.mesh");
        Assert.Contains("status: NOERROR", full, StringComparison.Ordinal);
        Assert.Matches(@"flags: qr aa rd ra;", full);
    }

    [Fact]
    public async Task Dig_sees_nxdomain_and_nodata_with_soa()
    {
        var nx = await DigAsync("ghost.mesh", "A");
        Assert.Contains("status: NXDOMAIN", nx, StringComparison.Ordinal);
        Assert.Contains("AUTHORITY: 1", nx, StringComparison.Ordinal);
        Assert.Matches(@"mesh\.\s+30\s+IN\s+SOA\s+ns\.dns\.mesh\. hostmaster\.mesh\.", nx);
        var nodata = await KdigAsync("node1.mesh", "AAAA");
        Assert.Contains("status: NOERROR", nodata, StringComparison.Ordinal);
        Assert.Contains("ANSWER: 0; AUTHORITY: 1", nodata, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarded_answer_comes_from_the_upstream_and_then_from_cache()
    {
        Assert.Equal("192.0.2.77", (await DigAsync("+short", "upstream.test")).Trim());
        var again = await DigAsync("upstream.test");
        Assert.Contains("192.0.2.77", again, StringComparison.Ordinal);
        Assert.DoesNotContain(" aa ", again.Split('\n').First(l => l.Contains("flags:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(1, _server!.Statistics.UpstreamQueries);
        Assert.Equal(1, _server.Statistics.CacheHits);
        Assert.Contains("status: NXDOMAIN", await DigAsync("missing.test"), StringComparison.Ordinal); // dnsmasq: --local=/test/
        // dnsmasq refuses names it has no server for; with no usable upstream left we answer SERVFAIL.
        Assert.Contains("status: SERVFAIL", await DigAsync("down.example"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edns_bufsize_and_do_bit_are_echoed()
    {
        var withDo = await DigAsync("+dnssec", "+bufsize=4096", "node1.mesh");
        Assert.Matches(@"EDNS: version: 0, flags: do; udp: 1232", withDo);
        var kdig = await KdigAsync("+dnssec", "+bufsize=1400", "upstream.test");
        Assert.Contains("flags: do; UDP size: 1232 B", kdig, StringComparison.Ordinal);
        var noDo = await DigAsync("+bufsize=1400", "node1.mesh");
        Assert.Matches(@"EDNS: version: 0, flags:; udp: 1232", noDo);
    }

    [Fact]
    public async Task Large_answer_is_truncated_over_udp_and_dig_retries_over_tcp()
    {
        var tc = await DigAsync("+ignore", "+noedns", "many.mesh");
        Assert.Matches(@"flags: qr aa tc rd ra;", tc);
        Assert.Contains("ANSWER: 0", tc, StringComparison.Ordinal);
        var small = await DigAsync("+ignore", "+bufsize=800", "many.mesh");
        Assert.Matches(@"flags: qr aa tc rd ra;", small);
        var retried = await DigAsync("+noedns", "many.mesh");
        Assert.Contains("Truncated, retrying in TCP mode", retried, StringComparison.Ordinal);
        Assert.Contains("ANSWER: 60", retried, StringComparison.Ordinal);
        var fits = await DigAsync("+ignore", "+bufsize=1232", "many.mesh"); // 60 x 16 B fits in 1232
        Assert.Contains("ANSWER: 60", fits, StringComparison.Ordinal);
        Assert.True(_server!.Statistics.Truncated >= 2);
    }

    [Fact]
    public async Task Kdig_over_tcp_reuses_one_connection_for_several_queries()
    {
        var before = _server!.Statistics.TcpConnections;
        var r = await KdigAsync("+tcp", "+keepopen", "node1.mesh", "A", "node2.mesh", "AAAA", "phone.mesh", "A");
        Assert.Contains("10.10.0.1", r, StringComparison.Ordinal);
        Assert.Contains("fd10::2", r, StringComparison.Ordinal);
        Assert.Contains("10.10.0.100", r, StringComparison.Ordinal);
        Assert.Equal(1, _server.Statistics.TcpConnections - before);
    }

    [Fact]
    public async Task Dnsmasq_forwarding_the_mesh_zone_to_us_resolves_mesh_names()
    {
        var empty = _dir.Combine("empty.hosts");
        await File.WriteAllTextAsync(empty, "");
        using var resolver = await DnsDaemon.DnsmasqAsync(_dir.Path, empty, $"--server=/mesh/{_ip}#{_port}");
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dig"),
            ["@127.0.0.1", "-p", resolver.Endpoint.Port.ToString(CultureInfo.InvariantCulture), "+short", "+time=3", "node2.mesh"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal("10.10.0.2", r.EnsureSuccess("dig via dnsmasq").StdOut.Trim());
    }

    [Fact]
    public async Task Unbound_with_a_forward_zone_resolves_mesh_names_through_us()
    {
        using var resolver = await DnsDaemon.UnboundAsync(_dir.Path, "mesh", _server!.LocalEndpoints[0]);
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dig"),
            ["@127.0.0.1", "-p", resolver.Endpoint.Port.ToString(CultureInfo.InvariantCulture), "+time=5", "phone.mesh"], timeout: TimeSpan.FromSeconds(30));
        var o = r.EnsureSuccess("dig via unbound").StdOut;
        Assert.Contains("10.10.0.100", o, StringComparison.Ordinal);
        Assert.Contains("status: NOERROR", o, StringComparison.Ordinal);
        var nx = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dig"),
            ["@127.0.0.1", "-p", resolver.Endpoint.Port.ToString(CultureInfo.InvariantCulture), "+time=5", "ghost.mesh"], timeout: TimeSpan.FromSeconds(30));
        Assert.Contains("status: NXDOMAIN", nx.StdOut, StringComparison.Ordinal);
    }
}
