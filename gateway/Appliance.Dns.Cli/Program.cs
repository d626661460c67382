using System.Net;
using System.Runtime.InteropServices;
using Appliance.Dns.Cli;
using Appliance.Dns.Config;
using Appliance.Dns.Server;
using Appliance.Dns.Zone;

// appliance-dns: the embedded DNS server run on its own (interop tests, benchmarks, a CoreDNS drop-in).
CliOptions cli;
DnsServerOptions options;
string? hostsPath;
DnsHostsSource template;
TimeSpan reload;
try
{
    cli = CliOptions.Parse(args);
    options = new DnsServerOptions { Log = Console.Error.WriteLine };
    if (cli.Corefile is not null)
    {
        var cf = CorefileParser.Parse(File.ReadAllText(cli.Corefile), cli.Corefile);
        var port = cli.PortOverride ?? cf.Port;
        foreach (var ip in cf.Bind.Count > 0 ? cf.Bind : [IPAddress.Any])
        {
            options.Listen.Add(new IPEndPoint(ip, port));
        }
        foreach (var u in cf.Upstreams)
        {
            options.Upstreams.Add(u);
        }
        if (cf.CacheTtl is { } ttl)
        {
            options.CacheMaxTtl = ttl;
            options.CacheMaxNegativeTtl = ttl;
        }
        options.CacheCapacity = cf.CacheEnabled ? 10_000 : 0;
        options.QueryLog = cf.Log ? Console.Out.WriteLine : null;
        hostsPath = cf.HostsFile;
        reload = cf.HostsReload;
        // hosts without fallthrough: the block's zones are ours, a name missing from the file is NXDOMAIN.
        template = new DnsHostsSource([]) { Ttl = cf.HostsTtl, Reverse = cf.HostsReverse, AuthoritativeZones = cf.HostsFallthrough ? [] : cf.Zones };
    }
    else
    {
        foreach (var l in cli.Listen)
        {
            options.Listen.Add(l);
        }
        foreach (var u in cli.Upstreams.Count > 0 ? cli.Upstreams : ResolvConf.ReadNameservers())
        {
            options.Upstreams.Add(u);
        }
        if (cli.CacheTtl is { } ttl)
        {
            options.CacheMaxTtl = ttl;
            options.CacheMaxNegativeTtl = ttl;
        }
        options.QueryLog = cli.Log ? Console.Out.WriteLine : null;
        hostsPath = cli.Hosts;
        reload = cli.Reload;
        template = new DnsHostsSource([]) { AuthoritativeZones = cli.Zones };
    }
    options.UdpBatchSize = cli.UdpBatch ?? options.UdpBatchSize;
    foreach (var range in cli.Allow.Count > 0 ? cli.Allow : DefaultAllowed())
    {
        options.AllowedRanges.Add(range);
    }
}
catch (Exception e) when (e is DnsConfigException or IOException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"appliance-dns: {e.Message}");
    return 2;
}

await using var server = new DnsServer(options);
DnsHostsFileWatcher? watcher = null;
try
{
    if (hostsPath is not null)
    {
        watcher = new DnsHostsFileWatcher(server, hostsPath, reload, e => template with { Entries = e }, Console.Error.WriteLine);
        watcher.Start();
    }
    else
    {
        server.SetHosts(template);
    }
    await server.StartAsync();
}
catch (Exception e) when (e is DnsConfigException or IOException or System.Net.Sockets.SocketException or ArgumentException)
{
    Console.Error.WriteLine($"appliance-dns: {e.Message}");
    return 1;
}
Console.WriteLine($"appliance-dns listening on {string.Join(", ", server.LocalEndpoints)} (udp+tcp), {server.NameCount} names, "
    + $"{options.Upstreams.Count} upstreams");
var stop = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
if (watcher is not null)
{
    await watcher.DisposeAsync();
}
Console.WriteLine($"appliance-dns stopped: {server.Statistics}");
return 0;

static IEnumerable<IPNetwork> DefaultAllowed() =>
    new[] { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7" }.Select(s => IPNetwork.Parse(s));
