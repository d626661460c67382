using System.Globalization;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>
/// The standalone <c>appliance-dns</c> process pointed at a Netmaker-style CoreDNS Corefile, unchanged but for the
/// paths: dig resolves hosts-file names, their PTR and forwarded names (through a dnsmasq upstream), the hosts file
/// is reloaded while it runs, and queries are logged in CoreDNS's format.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class StandaloneCorefileTests : IDisposable
{
    private readonly TempDirectory _dir = new("dns-corefile");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Netmaker_style_corefile_serves_hosts_forwards_reloads_and_logs()
    {
        var upstreamHosts = _dir.Combine("upstream.hosts");
        await File.WriteAllTextAsync(upstreamHosts, "192.0.2.80 www.example.test\n");
        using var upstream = await DnsDaemon.DnsmasqAsync(_dir.Path, upstreamHosts, "--local=/test/");
        var hosts = _dir.Combine("netmaker.hosts");
        await File.WriteAllTextAsync(hosts, "# generated\n10.20.0.1 node-a.office\n10.20.0.2 node-b.office nb.office\n");
        var corefile = _dir.Combine("Corefile");
        await File.WriteAllTextAsync(corefile, $$"""
            . {
                bind 127.0.0.1
                hosts {{hosts}} {
                    fallthrough
                    reload 1s
                }
                forward . 127.0.0.1:{{upstream.Port}}
                cache 30
                log
                errors
            }
            """);
        var port = Binaries.FreeUdpTcpPort();
        using var ours = await DnsProcess.OursAsync(port, ["-conf", corefile, "-dns.port", port.ToString(CultureInfo.InvariantCulture)]);

        Assert.Equal("10.20.0.1", await DigAsync(port, "node-a.office"));
        Assert.Equal("10.20.0.2", await DigAsync(port, "nb.office", "+tcp"));
        Assert.Equal("node-b.office.", await DigAsync(port, "-x", "10.20.0.2"));
        Assert.Equal("192.0.2.80", await DigAsync(port, "www.example.test"));

        // The file changes under the running server (written atomically, as Netmaker's agent would).
        var next = _dir.Combine("netmaker.hosts.new");
        await File.WriteAllTextAsync(next, "10.20.0.1 node-a.office\n10.20.0.3 node-c.office\n");
        File.Move(next, hosts, overwrite: true);
        await Wait.ForAsync(() => DigAsync(port, "node-c.office"), a => a == "10.20.0.3", "node-c.office to be served", poll: TimeSpan.FromMilliseconds(200));
        Assert.Equal("", await DigAsync(port, "nb.office"));

        // CoreDNS log plugin shape: [INFO] client - id "TYPE IN name. proto size do bufsize" RCODE flags size
        Assert.Matches(@"\[INFO\] 127\.0\.0\.1:\d+ - \d+ ""A IN node-a\.office\. udp \d+ (true|false) \d+"" NOERROR", ours.Log);
        Assert.Contains("\"A IN nb.office. tcp", ours.Log, StringComparison.Ordinal);
    }

    private static async Task<string> DigAsync(int port, params string[] args)
    {
        var r = await ProcessRunner.RunAsync(Prerequisites.RequireProgram("dig"),
            ["@127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "+time=3", "+tries=1", "+short", .. args], timeout: TimeSpan.FromSeconds(30));
        return r.EnsureSuccess("dig " + string.Join(' ', args)).StdOut.Trim();
    }
}
