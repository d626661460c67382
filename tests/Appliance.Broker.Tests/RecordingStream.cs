namespace Appliance.Broker.Tests;

/// <summary>A memory stream that remembers the size of every write and counts flushes.</summary>
internal sealed class RecordingStream : MemoryStream
{
    public List<int> Writes { get; } = [];

    public int Flushes { get; private set; }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Writes.Add(buffer.Length);
        return base.WriteAsync(buffer, cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flushes++;
        return base.FlushAsync(cancellationToken);
    }
}
