using System.Net;
using Appliance.Dns.Config;
using Appliance.Dns.Server;
using Appliance.Dns.Wire;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Dns.Tests;

/// <summary>A hosts file changed on disk is picked up within the reload interval while queries keep being answered.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class ReloadTests
{
    [Fact]
    public async Task Hosts_file_change_is_served_within_the_interval_with_no_failed_query()
    {
        using var dir = new TempDirectory("dns-reload");
        var path = dir.Combine("hosts");
        await File.WriteAllTextAsync(path, "10.10.0.1 node1.mesh\n" + string.Concat(Enumerable.Range(1, 2000).Select(i => $"10.20.{i / 250}.{i % 250} filler{i}.mesh\n")));
        var o = new DnsServerOptions();
        o.Listen.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new DnsServer(o);
        var interval = TimeSpan.FromMilliseconds(250);
        await using var watcher = new DnsHostsFileWatcher(server, path, interval);
        watcher.Start();
        await server.StartAsync();
        var ep = server.LocalEndpoints[0];

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var answered = 0;
        var hammer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await DnsTestClient.UdpAsync(ep, "node1.mesh", DnsRecordType.A);
                if (r.ResponseCode != DnsResponseCode.NoError || r.Answers.Count != 1)
                {
                    Interlocked.Increment(ref failures);
                }
                Interlocked.Increment(ref answered);
            }
        });
        await Task.Delay(300);
        var tmp = path + ".new";
        await File.WriteAllTextAsync(tmp, "10.10.0.99 node1.mesh\n10.10.0.42 newcomer.mesh\n" + string.Concat(Enumerable.Range(1, 2000).Select(i => $"10.20.{i / 250}.{i % 250} filler{i}.mesh\n")));
        File.Move(tmp, path, overwrite: true);
        var changedAt = DateTime.UtcNow;
        var seen = await Wait.ForAsync(() => DnsTestClient.UdpAsync(ep, "newcomer.mesh", DnsRecordType.A), r => r.Answers.Count == 1, "the new name to be served", TimeSpan.FromSeconds(15));
        var latency = DateTime.UtcNow - changedAt;
        await Task.Delay(300);
        await stop.CancelAsync();
        await hammer;
        Assert.Equal("10.10.0.42", seen.Answers.Single().Data.ToString());
        // Served at all is the property (waited for up to 15 s); how soon depends on the machine's load (printed).
        Console.WriteLine($"new name served after {latency.TotalMilliseconds:F0} ms (reload interval {interval.TotalMilliseconds} ms)");
        Assert.Equal("10.10.0.99", (await DnsTestClient.UdpAsync(ep, "node1.mesh", DnsRecordType.A)).Answers.Single().Data.ToString());
        Assert.Equal(0, failures);
        // Queries kept being answered across the reload (a loaded machine runs the loop slowly; it never stopped it).
        Assert.True(answered > 20, $"only {answered} queries during the reload");
        Assert.Equal(2, watcher.Reloads);
    }

    [Fact]
    public async Task Broken_hosts_file_keeps_the_previous_names()
    {
        using var dir = new TempDirectory("dns-reload");
        var path = dir.Combine("hosts");
        await File.WriteAllTextAsync(path, "10.10.0.1 node1.mesh\n");
        var o = new DnsServerOptions();
        await using var server = new DnsServer(o);
        var log = new List<string>();
        var clock = new FakeTimeProvider();
        await using var watcher = new DnsHostsFileWatcher(server, path, TimeSpan.FromMilliseconds(100), log: m => { lock (log) { log.Add(m); } }, time: clock);
        watcher.Start();
        await File.WriteAllTextAsync(path, "10.10.0.1 node1.mesh\nnot-an-ip broken.mesh\n");
        // The watcher polls on its clock: move it one interval per look until the watcher has seen the change.
        await Wait.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            return Logged();
        }, "the watcher to report the broken line");
        Assert.Equal(1, watcher.Reloads);
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("line 2", StringComparison.Ordinal) && l.Contains("keeping the previous names", StringComparison.Ordinal));
        }
        var resp = new byte[512];
        var n = await server.Handler.HandleAsync(DnsRequest.Create(DnsTestClient.Query("node1.mesh", DnsRecordType.A), DnsTransport.Udp, new IPEndPoint(IPAddress.Loopback, 1).Serialize()), resp, default);
        Assert.Single(DnsMessage.Parse(resp.AsSpan(0, n)).Answers);

        bool Logged()
        {
            lock (log)
            {
                return log.Any(l => l.Contains("keeping the previous names", StringComparison.Ordinal));
            }
        }
    }
}
