using Appliance.Server.Services;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The transfer ring's bound and order.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class TransferHistoryTests
{
    [Fact]
    public void The_ring_keeps_the_newest_samples_oldest_first()
    {
        var history = new TransferHistory();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < TransferHistory.MaxSamples + 7; i++)
        {
            history.Record("node/a", t0.AddSeconds(i), i, i);
        }
        history.Record("node/a", t0, -1, 5); // a negative counter is not a sample
        var samples = history.Get("node/a");
        Assert.Equal(TransferHistory.MaxSamples, samples.Count);
        Assert.Equal(7, samples[0].RxBytes);
        Assert.Equal(TransferHistory.MaxSamples + 6, samples[^1].RxBytes);
    }
}
