using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class BrokerLifecycleTests
{
    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task StopAsync_twice_then_DisposeAsync_does_not_throw()
    {
        await using var host = await BrokerHost.StartAsync();
        await host.ConnectAsync("stop-twice");
        await host.Broker.StopAsync(CancellationToken.None);
        await host.Broker.StopAsync(CancellationToken.None);
        await host.Broker.DisposeAsync();
    }

    [Fact]
    [Trait("Category", TestCategories.Integration)]
    public async Task Concurrent_StopAsync_and_DisposeAsync_share_one_stop()
    {
        await using var host = await BrokerHost.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            await host.ConnectAsync("concurrent-" + i);
        }
        var calls = new List<Task>();
        for (var i = 0; i < 8; i++)
        {
            calls.Add(Task.Run(() => host.Broker.StopAsync(CancellationToken.None)));
            calls.Add(Task.Run(async () => await host.Broker.DisposeAsync()));
        }
        await Task.WhenAll(calls).WaitAsync(BrokerHost.Wait);
        Assert.Equal(0, host.Broker.Metrics.ConnectionsCurrent);
    }
}
