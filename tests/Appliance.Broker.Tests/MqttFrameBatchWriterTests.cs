using System.Security.Cryptography;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>How queued headers and shared payloads become stream writes: gathered, never above the chunk size, in order.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MqttFrameBatchWriterTests
{
    // Batch 16 bytes, chunk 8 bytes: small enough to write the expected writes out by hand.
    [Theory]
    [InlineData("nothing queued", new int[0], new int[0])]
    [InlineData("two small pieces share one write", new[] { 3, 4 }, new[] { 7 })]
    [InlineData("empty payload after a header adds nothing", new[] { 5, 0 }, new[] { 5 })]
    [InlineData("small pieces past one chunk are split at the chunk", new[] { 6, 6 }, new[] { 8, 4 })]
    [InlineData("a piece as big as the batch goes out directly", new[] { 16 }, new[] { 8, 8 })]
    [InlineData("header then big payload: the batch fills, the rest goes directly", new[] { 3, 40 }, new[] { 8, 8, 8, 8, 8, 3 })]
    [InlineData("big payload then a small header", new[] { 20, 2 }, new[] { 8, 8, 4, 2 })]
    [InlineData("pieces overflow the batch: written when it is full", new[] { 10, 10, 10 }, new[] { 8, 8, 8, 6 })]
    public async Task Pieces_become_writes_of_at_most_one_chunk(string name, int[] pieces, int[] expectedWrites)
    {
        _ = name;
        var data = pieces.Select(RandomNumberGenerator.GetBytes).ToArray();
        using var recorder = new RecordingStream();
        using (var writer = new MqttFrameBatchWriter(recorder, batchSize: 16, chunkSize: 8))
        {
            foreach (var piece in data)
            {
                await writer.AppendAsync(piece, CancellationToken.None);
            }
            await writer.FlushAsync(CancellationToken.None);
        }
        Assert.Equal(expectedWrites, recorder.Writes);
        Assert.Equal(data.SelectMany(d => d).ToArray(), recorder.ToArray());
        Assert.Equal(1, recorder.Flushes);
    }

    [Fact]
    public async Task The_batch_is_reused_after_a_flush()
    {
        using var recorder = new RecordingStream();
        using var writer = new MqttFrameBatchWriter(recorder, batchSize: 16, chunkSize: 16);
        await writer.AppendAsync("abc"u8.ToArray(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        await writer.AppendAsync("defg"u8.ToArray(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        Assert.Equal([3, 4], recorder.Writes);
        Assert.Equal("abcdefg"u8.ToArray(), recorder.ToArray());
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(16, 0)]
    public void Sizes_must_be_positive(int batchSize, int chunkSize)
    {
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentOutOfRangeException>(() => new MqttFrameBatchWriter(stream, batchSize, chunkSize));
    }
}
