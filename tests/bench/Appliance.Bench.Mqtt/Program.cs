using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Bench.Mqtt;
using Appliance.Mqtt.Packets;

// Usage:
//   Appliance.Bench.Mqtt run [seconds]   both brokers side by side, one JSON line per figure, then ratios
//   Appliance.Bench.Mqtt host <port>     our broker alone in this process (used by "run")
//   Appliance.Bench.Mqtt tls-memory N [COUNT BYTES] [ENV=VALUE ...]   our broker's memory with N TLS clients, before/after traffic
//   Appliance.Bench.Mqtt micro           BenchmarkDotNet codec micro-benchmarks
var mode = args.Length > 0 ? args[0] : "run";
if (mode == "host")
{
    return await HostMode.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}
if (mode == "host-tls")
{
    return await TlsHostMode.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2]);
}
if (mode == "tls-memory")
{
    return await TlsMemoryScenario.RunAsync(args[1..]);
}
if (mode == "micro")
{
    BenchmarkDotNet.Running.BenchmarkRunner.Run<CodecBenchmarks>();
    return 0;
}

var measure = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5);
var warmup = TimeSpan.FromSeconds(2);
Console.Error.WriteLine($"open files limit: {NativeLimits.RaiseOpenFiles()}");
FlowScenario[] flows =
[
    new("own-topic-1000-subs-qos0", 1000, false, MqttQos.AtMostOnce),
    new("fanout-1000-subs-qos0", 1000, true, MqttQos.AtMostOnce),
    new("own-topic-1000-subs-qos1", 1000, false, MqttQos.AtLeastOnce),
    new("fanout-1000-subs-qos1", 1000, true, MqttQos.AtLeastOnce),

    // Peak: 100 messages outstanding per subscriber, for the highest delivered rate at the cost of latency.
    new("fanout-1000-subs-qos0-peak", 1000, true, MqttQos.AtMostOnce, 100_000),
];
var filter = args.Length > 2 ? args[2] : "";
flows = [.. flows.Where(f => f.Name.Contains(filter, StringComparison.Ordinal))];
var lines = new List<string>();
foreach (var brokerName in new[] { "appliance", "mosquitto" })
{
    var port = FreePort();
    if (filter.Length == 0)
    using (var broker = brokerName == "appliance" ? await BrokerProcess.StartOursAsync(port) : await BrokerProcess.StartMosquittoAsync(port))
    {
        lines.Add(await IdleScenario.RunAsync(broker, 10_000));
        Console.WriteLine(lines[^1]);
    }
    foreach (var flow in flows)
    {
        port = FreePort();
        using var broker = brokerName == "appliance" ? await BrokerProcess.StartOursAsync(port) : await BrokerProcess.StartMosquittoAsync(port);
        var result = await flow.RunAsync(broker, warmup, measure);
        lines.Add(result.ToJson());
        Console.WriteLine(lines[^1]);
    }
}

// Ratios: ours / Mosquitto (throughput > 1 is better; CPU and latency < 1 are better).
foreach (var figure in lines.Select(l => Field(l, "figure")).Distinct())
{
    if (lines.Count(l => Field(l, "figure") == figure) != 2)
    {
        continue;
    }
    var ours = lines.Single(l => Field(l, "figure") == figure && Field(l, "broker") == "appliance");
    var theirs = lines.Single(l => Field(l, "figure") == figure && Field(l, "broker") == "mosquitto");
    var keys = figure.StartsWith("idle", StringComparison.Ordinal) ? new[] { "rss_mb" } : ["msgs_per_s", "p50_latency_us", "p99_latency_us", "broker_cpu_s_per_million"];
    var ratios = string.Join(',', keys.Select(k => string.Create(CultureInfo.InvariantCulture, $"\"{k}\":{Num(ours, k) / Num(theirs, k):F2}")));
    Console.WriteLine($"{{\"figure\":\"{figure}\",\"ratio_vs_mosquitto\":{{{ratios}}}}}");
}
return 0;

static int FreePort()
{
    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
}

static string Field(string json, string key) => Regex.Match(json, $"\"{key}\":\"([^\"]*)\"").Groups[1].Value;

static double Num(string json, string key) => double.Parse(Regex.Match(json, $"\"{key}\":([-0-9.NaE]+)").Groups[1].Value, CultureInfo.InvariantCulture);
