using System.Security.Cryptography;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>
/// <see cref="StageCounter"/> and <see cref="ThreadCpuClock"/> (issue #14's per-stage counters): CPU is the thread's
/// own, not time spent waiting; a run that ends on another thread counts its wall time only; and the broker's write
/// loops (<see cref="MqttBrokerMetrics.Writes"/>) count the fan-out to subscribers.
/// </summary>
public sealed class StageCounterTests
{
    // Work the JIT cannot drop: hashing until the thread's CPU clock has moved by at least `cpu`.
    private static void Burn(TimeSpan cpu)
    {
        var start = ThreadCpuClock.NowNanoseconds();
        var block = new byte[4096];
        while (ThreadCpuClock.NowNanoseconds() - start < cpu.Ticks * 100)
        {
            SHA256.HashData(block, block.AsSpan(0, 32));
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_threads_cpu_clock_moves_with_work_and_not_with_sleep()
    {
        var before = ThreadCpuClock.NowNanoseconds();
        Assert.True(before > 0, "CLOCK_THREAD_CPUTIME_ID is available on Linux");
        Burn(TimeSpan.FromMilliseconds(20));
        var worked = ThreadCpuClock.NowNanoseconds();
        Assert.InRange(worked - before, 20_000_000, long.MaxValue);
        Thread.Sleep(100);
        // Asleep for 100 ms: the thread's CPU clock stays nearly still (a wall clock would move 100 ms).
        Assert.InRange(ThreadCpuClock.NowNanoseconds() - worked, 0, 20_000_000);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_run_counts_its_threads_cpu_its_wall_time_and_what_it_allocated()
    {
        var counter = new StageCounter();
        var start = StageCounter.Start();
        Burn(TimeSpan.FromMilliseconds(15));
        GC.KeepAlive(new byte[256 * 1024]);
        Thread.Sleep(60);
        counter.Stop(start);

        Assert.Equal((1L, 1L), (counter.Runs, counter.CpuRuns));
        // The CPU is the 15 ms of work; the wall time has the 60 ms of sleep as well.
        Assert.InRange(counter.Cpu, TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(55));
        Assert.True(counter.Wall >= TimeSpan.FromMilliseconds(75), $"wall {counter.Wall}");
        // The 256 KB array (and the hashing's few bytes): what the run left for the collector.
        Assert.InRange(counter.AllocatedBytes, 256 * 1024, 512 * 1024);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_run_that_ends_on_another_thread_counts_its_wall_time_only()
    {
        var counter = new StageCounter();
        var start = StageCounter.Start();
        // Another thread's CPU clock says nothing of this one's: the run is counted without CPU.
        await Task.Factory.StartNew(() => counter.Stop(start), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var local = StageCounter.Start();
        counter.Stop(local);

        Assert.Equal((2L, 1L), (counter.Runs, counter.CpuRuns));
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task The_brokers_write_loops_count_each_subscribers_delivery()
    {
        await using var host = await BrokerHost.StartAsync();
        var clients = new List<MqttClient>();
        for (var i = 0; i < 3; i++)
        {
            var client = await host.ConnectAsync($"sub-{i}");
            await client.SubscribeAsync("mesh/#", MqttQos.AtLeastOnce).WaitAsync(BrokerHost.Wait);
            clients.Add(client);
        }
        var writes = host.Broker.Metrics.Writes;
        var (runs, wall) = (writes.Runs, writes.Wall);

        host.Broker.PublishShared("mesh/n1", RandomNumberGenerator.GetBytes(2048), MqttQos.AtLeastOnce);
        foreach (var client in clients)
        {
            Assert.Equal("mesh/n1", (await BrokerHost.NextAsync(client)).Topic);
        }

        // Each subscriber's connection woke at least once to write the message (its SUBACKs were counted before); a
        // wake-up is counted right after its flush, which the subscriber may see first.
        await Wait.UntilAsync(() => writes.Runs - runs >= clients.Count, "a write-loop run per subscriber");
        Assert.True(writes.Wall > wall);
        Assert.True(writes.CpuRuns > 0 && writes.Cpu > TimeSpan.Zero, "a write loop's wake-up runs on one thread: its CPU is measured");
    }
}
