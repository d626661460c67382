using System.Buffers;

namespace Appliance.Broker;

/// <summary>
/// Writes a connection's outgoing bytes: small pieces are gathered in one pooled buffer and written together, a piece
/// at least as big as that buffer goes out directly, and no single write to the stream exceeds the chunk size (TLS:
/// see <see cref="MqttBrokerConnection.TlsWriteChunkSize"/>). The buffer is rented at the first append and returned
/// at <see cref="FlushAsync"/>, so an idle connection holds none. Used by one writer task at a time.
/// </summary>
internal sealed class MqttFrameBatchWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly int _batchSize;
    private readonly int _chunkSize;
    private byte[]? _batch;
    private int _used;

    public MqttFrameBatchWriter(Stream stream, int batchSize, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        _stream = stream;
        _batchSize = batchSize;
        _chunkSize = chunkSize;
    }

    /// <summary>Queues <paramref name="data"/> after what is already gathered; writes whenever the buffer fills.</summary>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (!data.IsEmpty)
        {
            if (_used == 0 && data.Length >= _batchSize)
            {
                // Nothing gathered in front of it: a large payload goes out from where it is, without a copy.
                await WriteChunkedAsync(_stream, data, _chunkSize, token).ConfigureAwait(false);
                return;
            }
            _batch ??= ArrayPool<byte>.Shared.Rent(_batchSize);
            var n = Math.Min(_batchSize - _used, data.Length);
            data.Span[..n].CopyTo(_batch.AsSpan(_used));
            _used += n;
            data = data[n..];
            if (_used == _batchSize)
            {
                await WriteGatheredAsync(token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes what is gathered, flushes the stream and gives the buffer back to the pool.</summary>
    public async ValueTask FlushAsync(CancellationToken token)
    {
        await WriteGatheredAsync(token).ConfigureAwait(false);
        await _stream.FlushAsync(token).ConfigureAwait(false);
        ReturnBuffer();
    }

    public void Dispose() => ReturnBuffer();

    /// <summary>Writes <paramref name="data"/> in pieces of at most <paramref name="chunkSize"/> bytes.</summary>
    internal static async ValueTask WriteChunkedAsync(Stream stream, ReadOnlyMemory<byte> data, int chunkSize, CancellationToken token)
    {
        while (data.Length > chunkSize)
        {
            await stream.WriteAsync(data[..chunkSize], token).ConfigureAwait(false);
            data = data[chunkSize..];
        }
        await stream.WriteAsync(data, token).ConfigureAwait(false);
    }

    private async ValueTask WriteGatheredAsync(CancellationToken token)
    {
        if (_used == 0)
        {
            return;
        }
        var used = _used;
        _used = 0;
        await WriteChunkedAsync(_stream, _batch.AsMemory(0, used), _chunkSize, token).ConfigureAwait(false);
    }

    private void ReturnBuffer()
    {
        if (_batch is { } batch)
        {
            _batch = null;
            _used = 0;
            ArrayPool<byte>.Shared.Return(batch);
        }
    }
}
