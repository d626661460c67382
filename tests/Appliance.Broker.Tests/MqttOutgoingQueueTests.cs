using Appliance.Broker;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>A connection's queue of frames to write: many writers, one reader.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MqttOutgoingQueueTests
{
    private static MqttOutgoingFrame Frame(int n) => new(BitConverter.GetBytes(n), ReadOnlyMemory<byte>.Empty);

    private static int Number(MqttOutgoingFrame f) => BitConverter.ToInt32(f.Head);

    private static async Task<List<int>> DrainAsync(MqttOutgoingQueue queue)
    {
        var seen = new List<int>();
        while (await queue.WaitToReadAsync())
        {
            while (queue.TryRead(out var f))
            {
                seen.Add(Number(f));
            }
        }
        return seen;
    }

    [Fact]
    public async Task A_waiting_reader_wakes_for_each_write_and_reads_in_order_until_completed()
    {
        var queue = new MqttOutgoingQueue();
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryWrite(Frame(1)));
        Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(queue.TryRead(out var first));
        Assert.Equal(1, Number(first));
        Assert.False(queue.TryRead(out _));

        // Written before the wait: the wait completes at once. Completed with frames left: they are read first.
        queue.TryWrite(Frame(2));
        queue.TryWrite(Frame(3));
        queue.Complete();
        Assert.False(queue.TryWrite(Frame(4)));
        Assert.Equal([2, 3], await DrainAsync(queue));
    }

    [Fact]
    public async Task Completing_or_cancelling_wakes_a_waiting_reader_and_cancel_drops_what_waits()
    {
        var completed = new MqttOutgoingQueue();
        var wait = completed.WaitToReadAsync();
        completed.Complete();
        Assert.False(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));

        var cancelled = new MqttOutgoingQueue();
        cancelled.TryWrite(Frame(1));
        cancelled.Cancel();
        Assert.Empty(await DrainAsync(cancelled));
        Assert.False(cancelled.HoldsArray);

        var cancelledWhileWaiting = new MqttOutgoingQueue();
        var waiting = cancelledWhileWaiting.WaitToReadAsync();
        Assert.False(waiting.IsCompleted);
        cancelledWhileWaiting.Cancel();
        Assert.False(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(cancelledWhileWaiting.TryWrite(Frame(2)));
    }

    [Fact]
    public void A_drained_queue_gives_back_the_array_a_burst_grew_but_keeps_a_small_one()
    {
        var queue = new MqttOutgoingQueue();
        Assert.False(queue.HoldsArray);
        for (var i = 0; i < 100; i++)
        {
            queue.TryWrite(Frame(i));
        }
        for (var i = 0; i < 100; i++)
        {
            Assert.True(queue.TryRead(out var f));
            Assert.Equal(i, Number(f));
        }
        Assert.False(queue.HoldsArray);

        queue.TryWrite(Frame(1));
        Assert.True(queue.TryRead(out _));
        Assert.True(queue.HoldsArray); // a frame at a time: the small array stays for the next one
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing_and_keep_their_own_order()
    {
        var queue = new MqttOutgoingQueue();
        var reader = Task.Run(() => DrainAsync(queue));
        const int writers = 4, each = 20_000;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < each; i++)
            {
                Assert.True(queue.TryWrite(Frame((w * each) + i)));
            }
        })));
        queue.Complete();
        var seen = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(writers * each, seen.Count);
        for (var w = 0; w < writers; w++)
        {
            var mine = seen.Where(n => n / each == w).ToList();
            Assert.Equal(Enumerable.Range(w * each, each), mine);
        }
    }
}
