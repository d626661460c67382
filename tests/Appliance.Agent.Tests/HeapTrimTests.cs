using Appliance.Agent.Diagnostics;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

public sealed class HeapTrimTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task Collects_once_per_interval_and_stops_when_cancelled()
    {
        var clock = new FakeTimeProvider();
        var collections = 0;
        using var stop = new CancellationTokenSource();
        var trimming = HeapTrim.RunAsync(TimeSpan.FromSeconds(60), clock, () => Interlocked.Increment(ref collections), stop.Token);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, Volatile.Read(ref collections));
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => Volatile.Read(ref collections) == 1);
        clock.Advance(TimeSpan.FromSeconds(60));
        await WaitUntil(() => Volatile.Read(ref collections) == 2);

        await stop.CancelAsync();
        await trimming;
        clock.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(2, Volatile.Read(ref collections));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_collection_is_a_full_one()
    {
        var before = GC.CollectionCount(2);
        HeapTrim.Collect();
        Assert.True(GC.CollectionCount(2) > before);
        Assert.Equal(TimeSpan.FromSeconds(60), HeapTrim.DefaultInterval);
    }

    private static Task WaitUntil(Func<bool> condition) => Wait.UntilAsync(condition, "the next collection");
}
