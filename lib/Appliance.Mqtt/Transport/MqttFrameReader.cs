using System.Buffers;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Transport;

/// <summary>
/// Reads whole MQTT packets from a byte stream. Only moves and frames bytes; decoding is the pure decoder's job.
/// When idle it can wait with a zero-byte read and hold no buffer, so thousands of quiet connections cost little memory.
/// </summary>
public sealed class MqttFrameReader : IDisposable
{
    private const int InitialBufferSize = 4096;

    private readonly Stream _stream;
    private readonly int _maxPacketSize;
    private readonly bool _releaseBufferWhenIdle;
    private byte[]? _buffer;
    private int _start;
    private int _end;

    public MqttFrameReader(Stream stream, int maxPacketSize, bool releaseBufferWhenIdle)
    {
        _stream = stream;
        _maxPacketSize = maxPacketSize;
        _releaseBufferWhenIdle = releaseBufferWhenIdle;
    }

    /// <summary>The protocol version used to decode everything after CONNECT.</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;

    /// <summary>Bytes received so far, for metrics.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Returns the next packet, or null when the peer closed the stream cleanly between packets.</summary>
    /// <exception cref="MqttProtocolException">The bytes are malformed or the packet is too large.</exception>
    public async ValueTask<MqttPacket?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_end > _start)
            {
                var status = MqttPacketDecoder.TryDecode(
                    _buffer.AsSpan(_start, _end - _start), ProtocolVersion, _maxPacketSize, out var packet, out var consumed, out var error);
                if (status == MqttDecodeStatus.Complete)
                {
                    _start += consumed;
                    if (_start == _end)
                    {
                        _start = _end = 0;
                        if (_releaseBufferWhenIdle)
                        {
                            ReleaseBuffer();
                        }
                    }
                    return packet;
                }
                if (status == MqttDecodeStatus.Malformed)
                {
                    throw new MqttProtocolException(error);
                }
                MakeRoomFor(NeededBytes());
            }
            else if (_buffer is null)
            {
                // Wait for data without holding a buffer (a zero-byte read completes when bytes arrive).
                if (_releaseBufferWhenIdle)
                {
                    await _stream.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }
                _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
            }
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end > _start)
                {
                    throw new MqttProtocolException(MqttDecodeError.Truncated);
                }
                return null;
            }
            _end += read;
            BytesRead += read;
        }
    }

    /// <summary>Returns the buffer to the pool; call only when no read is in progress.</summary>
    public void Dispose()
    {
        _start = _end;
        ReleaseBuffer();
    }

    private int NeededBytes()
    {
        var status = MqttPacketDecoder.TryReadFixedHeader(_buffer.AsSpan(_start, _end - _start), _maxPacketSize, out var header, out var remaining, out _);
        return status == MqttDecodeStatus.Complete ? header + remaining : 5;
    }

    private void MakeRoomFor(int packetLength)
    {
        var buffer = _buffer!;
        if (buffer.Length - _start >= packetLength && _end < buffer.Length)
        {
            return;
        }
        var data = _end - _start;
        if (buffer.Length >= packetLength && data < buffer.Length)
        {
            Buffer.BlockCopy(buffer, _start, buffer, 0, data);
        }
        else
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(packetLength, buffer.Length * 2));
            Buffer.BlockCopy(buffer, _start, bigger, 0, data);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = bigger;
        }
        _start = 0;
        _end = data;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null && _start == _end)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            _start = _end = 0;
        }
    }
}
