using System.Net;
using Appliance.Dns.Config;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

[Trait("Category", TestCategories.Unit)]
public sealed class ConfigParsingTests
{
    [Fact]
    public void Hosts_file_in_coredns_format()
    {
        var entries = HostsFileParser.Parse("""
            # Netmaker hosts
            10.10.0.1   node1.mesh n1.mesh   # trailing comment
            fd10::2	node2.mesh

            fe80::1%eth0 linklocal.mesh
            """);
        Assert.Equal(3, entries.Count);
        Assert.Equal(["node1.mesh", "n1.mesh"], entries[0].Names);
        Assert.Equal(IPAddress.Parse("fd10::2"), entries[1].Address);
        Assert.Equal(2, entries[0].Line);
        Assert.Equal(IPAddress.Parse("fe80::1"), entries[2].Address);
    }

    public static TheoryData<string, string, string> BadHosts => new()
    {
        { "not an address", "10.10.0.1 ok.mesh\nbanana node.mesh", "line 2: 'banana' is not an IP address" },
        { "address without a name", "10.10.0.1", "line 1: address 10.10.0.1 has no name" },
        { "CIDR instead of an address", "10.10.0.0/24 net.mesh", "line 1: '10.10.0.0/24' is not an IP address" },
        { "label over 63", $"10.10.0.1 {new string('a', 64)}.mesh", "line 1: invalid name" },
        { "empty label", "10.10.0.1 a..mesh", "empty label" },
    };

    [Theory]
    [MemberData(nameof(BadHosts))]
    public void Bad_hosts_line_is_an_error_naming_the_line(string row, string text, string expected)
    {
        var e = Assert.Throws<DnsConfigException>(() => HostsFileParser.Parse(text, "hosts"));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }

    [Fact]
    public void Netmaker_style_corefile_on_one_line()
    {
        var cf = CorefileParser.Parse("mesh:53 { hosts /etc/netmaker/hosts { fallthrough } forward . 1.1.1.1 8.8.8.8 reload 15s log cache 30 }");
        Assert.Equal(["mesh"], cf.Zones);
        Assert.Equal(53, cf.Port);
        Assert.Equal("/etc/netmaker/hosts", cf.HostsFile);
        Assert.True(cf.HostsFallthrough);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("1.1.1.1"), 53), new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53)], cf.Upstreams);
        Assert.Equal(TimeSpan.FromSeconds(15), cf.HostsReload);
        Assert.True(cf.Log);
        Assert.True(cf.CacheEnabled);
        Assert.Equal(TimeSpan.FromSeconds(30), cf.CacheTtl);
    }

    [Fact]
    public void Multi_line_corefile_with_bind_and_hosts_options()
    {
        var cf = CorefileParser.Parse("""
            # generated
            . {
                bind 10.10.0.1 127.0.0.1
                hosts /root/dnsconfig/netmaker.hosts {
                    ttl 60
                    no_reverse
                    reload 2s
                }
                forward . dns://9.9.9.9:5353 /etc/my-resolv.conf
                errors
                cache
            }
            """, readResolvConf: _ => [new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53)]);
        Assert.Equal(["."], cf.Zones);
        Assert.Equal([IPAddress.Parse("10.10.0.1"), IPAddress.Loopback], cf.Bind);
        Assert.False(cf.HostsFallthrough);
        Assert.Equal(60u, cf.HostsTtl);
        Assert.False(cf.HostsReverse);
        Assert.Equal(TimeSpan.FromSeconds(2), cf.HostsReload);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("9.9.9.9"), 5353), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53)], cf.Upstreams);
        Assert.True(cf.CacheEnabled);
        Assert.Null(cf.CacheTtl);
    }

    public static TheoryData<string, string, string> BadCorefiles => new()
    {
        { "unknown directive", "mesh {\n  hosts /h\n  whoami\n}", "line 3: unknown directive 'whoami'" },
        { "unknown hosts option", "mesh {\n hosts /h {\n  wildcard\n }\n}", "line 3: hosts: unknown or malformed option 'wildcard'" },
        { "forward from a sub-zone", "mesh {\n forward example.com 1.1.1.1\n}", "line 2: forward: expected 'forward . UPSTREAM...'" },
        { "upstream over TLS", "mesh {\n forward . tls://1.1.1.1\n}", "line 2: forward: 'tls://1.1.1.1': only plain DNS" },
        { "bad upstream", "mesh {\n forward . one.one.one.one\n}", "line 2: forward: 'one.one.one.one' is not an IP" },
        { "bad reload duration", "mesh {\n reload soon\n}", "line 2: reload: 'soon' is not a duration" },
        { "bad cache ttl", "mesh {\n cache forever\n}", "line 2: cache: 'forever' is not a number" },
        { "missing closing brace", "mesh {\n log\n", "expected '}' but the file ended" },
        { "two server blocks", "mesh { log }\nother { log }", "only one server block is supported" },
        { "bad port", "mesh:99999 { log }", "bad port" },
        { "no server block", "", "expected a server block" },
    };

    [Theory]
    [MemberData(nameof(BadCorefiles))]
    public void Bad_corefile_is_an_error_naming_line_and_directive(string row, string text, string expected)
    {
        var e = Assert.Throws<DnsConfigException>(() => CorefileParser.Parse(text));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }

    [Fact]
    public void Resolv_conf_nameservers()
    {
        using var dir = new TempDirectory("dns-resolv");
        var path = dir.Combine("resolv.conf");
        File.WriteAllText(path, "search lan\nnameserver 192.0.2.1\n# nameserver 9.9.9.9\nnameserver fe80::1%eth0\noptions edns0\n");
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53), new IPEndPoint(IPAddress.Parse("fe80::1"), 53)], ResolvConf.ReadNameservers(path));
    }

    [Fact]
    public void Cli_rejects_unknown_arguments_with_usage()
    {
        var e = Assert.Throws<DnsConfigException>(() => Cli.CliOptions.Parse(["--listen", "127.0.0.1:53", "--frobnicate"]));
        Assert.Contains("unknown argument '--frobnicate'", e.Message, StringComparison.Ordinal);
    }
}
