using System.Diagnostics;
using System.Globalization;
using Appliance.Mqtt.Packets;

namespace Appliance.Bench.Mqtt;

/// <summary>One throughput/latency figure: N subscribers, one publisher, fixed payload, QoS 0 or 1.</summary>
/// <remarks>
/// Closed loop: the publisher keeps at most <see cref="Window"/> deliveries outstanding, so latency reflects the
/// broker at that load instead of unbounded queues. BENCH_WINDOW overrides it for every scenario.
/// </remarks>
internal sealed record FlowScenario(string Name, int Subscribers, bool FanOut, MqttQos Qos, long Window = 5_000)
{
    public const int PayloadSize = 500;

    public async Task<FlowResult> RunAsync(BrokerProcess broker, TimeSpan warmup, TimeSpan measure)
    {
        BenchSubscriber.Phase = 0;
        var subs = new List<BenchSubscriber>();
        var topics = Enumerable.Range(0, Subscribers).Select(i => FanOut ? "bench/fan" : $"bench/own/{i:D5}").ToArray();
        try
        {
            for (var i = 0; i < Subscribers; i += 100)
            {
                var batch = Enumerable.Range(i, Math.Min(100, Subscribers - i))
                    .Select(j => BenchSubscriber.ConnectAsync(broker.Port, $"{Name}-sub-{j}", topics[j], Qos));
                subs.AddRange(await Task.WhenAll(batch));
            }
            using var publisher = await BenchPublisher.ConnectAsync(broker.Port, FanOut ? [topics[0]] : topics, Qos, PayloadSize);
            long Delivered()
            {
                long sum = 0;
                foreach (var s in subs)
                {
                    sum += s.Delivered;
                }
                return sum;
            }
            var perMessage = FanOut ? Subscribers : 1;
            var window = long.TryParse(Environment.GetEnvironmentVariable("BENCH_WINDOW"), out var w) ? w : Window;
            var end = Stopwatch.GetTimestamp() + (long)((warmup + measure).TotalSeconds * Stopwatch.Frequency);
            var run = Task.Run(() => publisher.RunAsync(end, perMessage, window, Delivered));

            await Task.Delay(warmup);
            var self = Process.GetCurrentProcess();
            var d0 = Delivered();
            var brokerCpu0 = ProcStat.CpuSeconds(broker.Pid);
            self.Refresh();
            var genCpu0 = self.TotalProcessorTime.TotalSeconds;
            var machine0 = ProcStat.MachineJiffies();
            var t0 = Stopwatch.GetTimestamp();
            BenchSubscriber.Phase = 1;
            await Task.Delay(measure);
            BenchSubscriber.Phase = 2;
            var d1 = Delivered();
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var brokerCpu = ProcStat.CpuSeconds(broker.Pid) - brokerCpu0;
            self.Refresh();
            var genCpu = self.TotalProcessorTime.TotalSeconds - genCpu0;
            var machine1 = ProcStat.MachineJiffies();
            var machineBusyPct = (machine1.Busy - machine0.Busy) * 100.0 * Environment.ProcessorCount / Math.Max(1, machine1.Total - machine0.Total);
            await run;

            // Let in-flight messages land, then count losses.
            var expected = publisher.Published * perMessage;
            var settle = Stopwatch.StartNew();
            while (Delivered() < expected && settle.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(20);
            }
            var samples = subs.SelectMany(s => s.LatencySamples).Order().ToArray();
            var delivered = d1 - d0;
            return new FlowResult(
                Name, broker.Name, delivered / seconds,
                Percentile(samples, 0.50), Percentile(samples, 0.99),
                brokerCpu / (delivered / 1e6), brokerCpu / seconds * 100, genCpu / seconds * 100,
                expected - Delivered(), machineBusyPct);
        }
        finally
        {
            foreach (var s in subs)
            {
                s.Dispose();
            }
        }
    }

    private static double Percentile(int[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
}

internal sealed record FlowResult(
    string Figure, string Broker, double MessagesPerSecond, double P50Us, double P99Us,
    double CpuSecondsPerMillion, double BrokerCpuPercent, double GeneratorCpuPercent, long Lost, double MachineBusyPercent)
{
    /// <summary>CPU used by processes other than the broker and the generator (plus kernel softirq work).</summary>
    public double OtherCpuPercent => Math.Max(0, MachineBusyPercent - BrokerCpuPercent - GeneratorCpuPercent);

    /// <summary>Which side limited the run, from CPU use (percent of one core; the machine has ProcessorCount cores).</summary>
    public string LimitedBy =>
        Broker == "mosquitto" && BrokerCpuPercent >= 90 ? "broker (mosquitto's single thread saturated)"
        : MachineBusyPercent >= Environment.ProcessorCount * 90 ? $"machine CPU saturated (broker {BrokerCpuPercent:F0}%, generator {GeneratorCpuPercent:F0}%, other {OtherCpuPercent:F0}%)"
        : GeneratorCpuPercent >= 90 ? "generator" : "window/latency (CPU not saturated)";

    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"figure\":\"{Figure}\",\"broker\":\"{Broker}\",\"msgs_per_s\":{MessagesPerSecond:F0},\"p50_latency_us\":{P50Us:F0},\"p99_latency_us\":{P99Us:F0},\"broker_cpu_s_per_million\":{CpuSecondsPerMillion:F2},\"broker_cpu_pct\":{BrokerCpuPercent:F0},\"generator_cpu_pct\":{GeneratorCpuPercent:F0},\"machine_busy_pct\":{MachineBusyPercent:F0},\"other_cpu_pct\":{OtherCpuPercent:F0},\"lost\":{Lost},\"limited_by\":\"{LimitedBy}\"}}");
}
