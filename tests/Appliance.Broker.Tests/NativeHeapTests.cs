using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>glibc's malloc controls the server uses for the broker's TLS memory (Debian: glibc, so both are there).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class NativeHeapTests
{
    [Fact]
    public void Arena_limit_is_accepted_and_a_bad_one_is_refused()
    {
        Assert.True(NativeHeap.LimitArenas(Math.Max(2, Environment.ProcessorCount)));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeHeap.LimitArenas(0));
    }

    [Fact]
    public void Trim_gives_freed_c_heap_memory_back()
    {
        // Free a few MB of C heap in small blocks (below the mmap threshold, so they stay in the arena), then trim.
        var blocks = Enumerable.Range(0, 2000).Select(_ => System.Runtime.InteropServices.Marshal.AllocHGlobal(4096)).ToList();
        foreach (var b in blocks)
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(b);
        }
        Assert.True(NativeHeap.Trim(), "malloc_trim released nothing after 8 MB were freed");
    }
}
