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

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Free_malloc_memory_is_given_back()
    {
        // 4 MB in 2 KB blocks (AllocHGlobal is malloc on Linux), all freed but the last, so the space is free inside the
        // arena and not only at its top.
        var blocks = new IntPtr[2048];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = System.Runtime.InteropServices.Marshal.AllocHGlobal(2048);
            for (var offset = 0; offset < 2048; offset += 512)
            {
                System.Runtime.InteropServices.Marshal.WriteByte(blocks[i], offset, 1);
            }
        }
        for (var i = 0; i < blocks.Length - 1; i++)
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[i]);
        }
        try
        {
            Assert.True(HeapTrim.TrimNativeHeap(), "malloc_trim released nothing after 4 MB were freed");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[^1]);
        }
    }
}
