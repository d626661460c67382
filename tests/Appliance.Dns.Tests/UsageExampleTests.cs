using System.Net;
using Appliance.Dns.Config;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.Dns.Zone;
using Appliance.TestSupport;

namespace Appliance.Dns.Tests;

/// <summary>The agent-side usage shown in gateway/README.md, run for real on loopback.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class UsageExampleTests
{
    [Fact]
    public async Task Construct_update_query_dispose()
    {
        var meshAddress = IPAddress.Loopback;
        var printerIp = IPAddress.Parse("10.10.0.9");
        var options = new DnsServerOptions();
        options.Listen.Add(new IPEndPoint(meshAddress, 0));
        options.AllowedRanges.Add(IPNetwork.Parse("10.99.0.0/24"));
        Assert.NotNull(ResolvConf.ReadNameservers()); // the machine's resolvers would be the upstreams; none here (no internet)
        await using var dns = new DnsServer(options);
        dns.UpdateZone(new DnsMeshZone("home",
            [new DnsHostEntry("laptop", [IPAddress.Parse("10.10.0.2")]), new DnsHostEntry("printer", [printerIp])],
            [IPNetwork.Parse("10.10.0.0/24"), IPNetwork.Parse("fd10::/64")], suffix: null));
        await dns.StartAsync();
        var ep = dns.LocalEndpoints[0];
        Assert.Equal("10.10.0.9", (await DnsTestClient.UdpAsync(ep, "printer.home", DnsRecordType.A)).Answers.Single().Data.ToString());
        dns.UpdateZone(new DnsMeshZone("home", [new DnsHostEntry("laptop", [IPAddress.Parse("10.10.0.3")])], [IPNetwork.Parse("10.10.0.0/24")]));
        Assert.Equal("10.10.0.3", (await DnsTestClient.UdpAsync(ep, "laptop.home", DnsRecordType.A)).Answers.Single().Data.ToString());
        Assert.Equal(DnsResponseCode.NXDomain, (await DnsTestClient.UdpAsync(ep, "printer.home", DnsRecordType.A)).ResponseCode);
        Assert.True(dns.RemoveZone("home"));
        Assert.Equal(DnsResponseCode.Refused, (await DnsTestClient.UdpAsync(ep, "laptop.home", DnsRecordType.A)).ResponseCode);
    }
}
