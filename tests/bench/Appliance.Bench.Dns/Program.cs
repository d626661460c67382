using System.Globalization;
using Appliance.Bench.Dns;
using Appliance.TestSupport;

// Usage: Appliance.Bench.Dns [seconds-per-run]
// appliance-dns (the standalone runner of gateway/Appliance.Dns) and dnsmasq side by side, both serving the same
// 1000-name hosts file and forwarding to the same local upstream dnsmasq, driven by dnsperf. One JSON line per figure.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var dir = Directory.CreateTempSubdirectory("dns-bench-").FullName;
var lines = new List<string>();
try
{
    var hosts = Path.Combine(dir, "mesh.hosts");
    await File.WriteAllLinesAsync(hosts, Enumerable.Range(0, 1000).Select(i => $"10.10.{i / 250}.{(i % 250) + 1} host{i}.mesh"));
    var upstreamHosts = Path.Combine(dir, "upstream.hosts");
    await File.WriteAllLinesAsync(upstreamHosts, Enumerable.Range(0, 1000).Select(i => $"192.0.{i / 250}.{(i % 250) + 1} ext{i}.test"));
    var rng = new Random(7);
    var zoneQueries = Path.Combine(dir, "zone.queries");
    await File.WriteAllLinesAsync(zoneQueries, Enumerable.Range(0, 1000).OrderBy(_ => rng.Next()).Select(i => $"host{i}.mesh A"));
    var fwdQueries = Path.Combine(dir, "forward.queries");
    await File.WriteAllLinesAsync(fwdQueries, Enumerable.Range(0, 1000).OrderBy(_ => rng.Next()).Select(i => $"ext{i}.test A"));

    // The shared upstream: answers ext*.test with a long TTL so both servers can cache them.
    using var upstream = await ServersUnderTest.StartDnsmasqAsync(dir, Binaries.FreeUdpTcpPort(), upstreamHosts, "--local-ttl=3600", "--local=/test/");
    var up = $"127.0.0.1:{upstream.Port}";

    foreach (var (scenario, file) in new[] { ("in-zone-a", zoneQueries), ("cached-forward-a", fwdQueries) })
    {
        foreach (var server in new[] { "appliance-dns", "dnsmasq" })
        {
            var port = Binaries.FreeUdpTcpPort();
            using var d = server == "appliance-dns"
                ? await ServersUnderTest.StartOursAsync(port, hosts, "--upstream", up, "--zone", "mesh")
                : await ServersUnderTest.StartDnsmasqAsync(dir, port, hosts, $"--server=127.0.0.1#{upstream.Port}", "--local=/mesh/");
            // Warm-up: fills the caches (forwarded names) and lets the JIT settle.
            await DnsPerfResult.RunAsync(port, file, 3);
            var cpu0 = d.CpuSeconds();
            var max = await DnsPerfResult.RunAsync(port, file, seconds);
            var cpu = d.CpuSeconds() - cpu0;
            Emit($"{{\"bench\":\"dns/{scenario}\",\"server\":\"{server}\",\"mode\":\"max\",\"qps\":{max.Qps:F0},\"p50_us\":{max.P50Us:F0},\"p99_us\":{max.P99Us:F0},"
                + $"\"completed\":{max.Completed},\"lost\":{max.Lost},\"server_cpu_s_per_million\":{cpu / max.Completed * 1e6:F2}}}");
            var fixedRate = await DnsPerfResult.RunAsync(port, file, seconds, 10_000);
            Emit($"{{\"bench\":\"dns/{scenario}\",\"server\":\"{server}\",\"mode\":\"10k-qps\",\"qps\":{fixedRate.Qps:F0},\"p50_us\":{fixedRate.P50Us:F0},\"p99_us\":{fixedRate.P99Us:F0},"
                + $"\"completed\":{fixedRate.Completed},\"lost\":{fixedRate.Lost}}}");
        }
    }

    // Memory: the standalone process with 10 names and with 10,000 names (each also gets its PTR name), and
    // 10,000 hosts lines of two names each (20,000 names) for scale.
    var rss = new Dictionary<string, double>();
    foreach (var (label, lineCount, namesPerLine) in new[] { ("10", 10, 1), ("10000", 10_000, 1), ("10000x2", 10_000, 2) })
    {
        var file = Path.Combine(dir, $"rss-{label}.hosts");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, lineCount).Select(i =>
            $"10.{20 + (i / 62500)}.{i / 250 % 250}.{(i % 250) + 1} name{i}.mesh" + (namesPerLine == 2 ? $" alias{i}.mesh" : "")));
        var rssQueries = Path.Combine(dir, $"rss-{label}.queries");
        await File.WriteAllLinesAsync(rssQueries, Enumerable.Range(0, Math.Min(lineCount, 1000)).Select(i => $"name{i}.mesh A"));
        var port = Binaries.FreeUdpTcpPort();
        using var d = await ServersUnderTest.StartOursAsync(port, file, "--upstream", up);
        await DnsPerfResult.RunAsync(port, rssQueries, 2);
        await Task.Delay(1000);
        rss[label] = d.RssMb();
        Emit(string.Create(CultureInfo.InvariantCulture, $"{{\"bench\":\"dns/rss\",\"server\":\"appliance-dns\",\"names\":{lineCount * namesPerLine},\"hosts_lines\":{lineCount},\"rss_mb\":{rss[label]:F1}}}"));
        if (label == "10000")
        {
            var dp = Binaries.FreeUdpTcpPort();
            using var dm = await ServersUnderTest.StartDnsmasqAsync(dir, dp, file);
            await DnsPerfResult.RunAsync(dp, rssQueries, 2);
            Emit(string.Create(CultureInfo.InvariantCulture, $"{{\"bench\":\"dns/rss\",\"server\":\"dnsmasq\",\"names\":{lineCount},\"hosts_lines\":{lineCount},\"rss_mb\":{dm.RssMb():F1}}}"));
        }
    }
    Emit(string.Create(CultureInfo.InvariantCulture, $"{{\"bench\":\"dns/rss-delta\",\"server\":\"appliance-dns\",\"names\":\"10 -> 10000\",\"delta_mb\":{rss["10000"] - rss["10"]:F1},\"goal_mb\":10}}"));
    Emit(string.Create(CultureInfo.InvariantCulture, $"{{\"bench\":\"dns/rss-delta\",\"server\":\"appliance-dns\",\"names\":\"10 -> 20000\",\"delta_mb\":{rss["10000x2"] - rss["10"]:F1}}}"));

    // Ratios ours / dnsmasq (qps > 1 is better; latency < 1 is better).
    foreach (var scenario in new[] { "in-zone-a", "cached-forward-a" })
    {
        foreach (var mode in new[] { "max", "10k-qps" })
        {
            var ours = lines.Single(l => l.Contains($"dns/{scenario}\"", StringComparison.Ordinal) && l.Contains("appliance-dns", StringComparison.Ordinal) && l.Contains($"\"mode\":\"{mode}\"", StringComparison.Ordinal));
            var theirs = lines.Single(l => l.Contains($"dns/{scenario}\"", StringComparison.Ordinal) && l.Contains("\"dnsmasq\"", StringComparison.Ordinal) && l.Contains($"\"mode\":\"{mode}\"", StringComparison.Ordinal));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"bench\":\"dns/{scenario}\",\"mode\":\"{mode}\",\"ratio_vs_dnsmasq\":{{\"qps\":{Num(ours, "qps") / Num(theirs, "qps"):F2},\"p50_us\":{Num(ours, "p50_us") / Num(theirs, "p50_us"):F2},\"p99_us\":{Num(ours, "p99_us") / Num(theirs, "p99_us"):F2}}}}}"));
        }
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}
return 0;

void Emit(string line)
{
    lines.Add(line);
    Console.WriteLine(line);
}

static double Num(string json, string key) =>
    double.Parse(System.Text.RegularExpressions.Regex.Match(json, $"\"{key}\":([-0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
