using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>Every connection the store opens, read or write, runs with the store's settings.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class StoreConnectionSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new("appliance-store-settings");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reads_and_writes_use_a_small_page_cache_and_foreign_keys()
    {
        using var store = new SqliteStore(_dir.Combine("appliance.db"));
        // Four readers holding their sessions open together, so the pool opens four connections; each is set up the
        // same way.
        using var together = new Barrier(4);
        var reads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => store.ReadAsync(s =>
        {
            Assert.True(together.SignalAndWait(TimeSpan.FromSeconds(30)), "four readers at once");
            return (((SqlSession)s).Pragma("cache_size"), ((SqlSession)s).Pragma("foreign_keys"));
        }))));
        Assert.All(reads, r => Assert.Equal((-(long)SqliteStore.PageCacheKiB, 1L), r));
        var write = await store.WriteAsync(s => ((SqlSession)s).Pragma("cache_size"));
        Assert.Equal(-SqliteStore.PageCacheKiB, write);
        Assert.Throws<ArgumentException>(() => store.ReadAsync(s => ((SqlSession)s).Pragma("cache_size; DROP TABLE nodes")).GetAwaiter().GetResult());
    }
}
