using System.Buffers;
using System.Threading.Channels;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Mqtt.Client;

/// <summary>One live connection of <see cref="MqttClient"/>: a read loop, a write loop and the keepalive pinger.</summary>
internal sealed class MqttClientConnection
{
    private const int WriteBatchSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly MqttFrameReader _reader;
    private readonly MqttProtocolVersion _version;
    private readonly ushort _keepAliveSeconds;
    private readonly Func<MqttClientConnection, MqttPacket, ValueTask> _onPacket;
    private readonly Channel<MqttPacket> _outgoing = Channel.CreateUnbounded<MqttPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cts = new();
    private int _pendingQos0;
    private long _lastSendMs = Environment.TickCount64;
    private long _pingSentMs;

    public MqttClientConnection(Stream stream, MqttFrameReader reader, MqttProtocolVersion version, ushort keepAliveSeconds, Func<MqttClientConnection, MqttPacket, ValueTask> onPacket)
    {
        _stream = stream;
        _reader = reader;
        _version = version;
        _keepAliveSeconds = keepAliveSeconds;
        _onPacket = onPacket;
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public bool IsOpen => !_cts.IsCancellationRequested;

    public void Start() => Completion = RunAsync();

    public bool Send(MqttPacket packet) => _outgoing.Writer.TryWrite(packet);

    /// <summary>Queues a QoS 0 publish unless <paramref name="limit"/> are already waiting for the socket.</summary>
    public bool SendDroppable(MqttPacket packet, int limit)
    {
        if (Interlocked.Increment(ref _pendingQos0) > limit)
        {
            Interlocked.Decrement(ref _pendingQos0);
            return false;
        }
        if (!_outgoing.Writer.TryWrite(packet))
        {
            Interlocked.Decrement(ref _pendingQos0);
            return false;
        }
        return true;
    }

    public void PingAnswered() => Interlocked.Exchange(ref _pingSentMs, 0);

    /// <summary>Writes what is queued, then closes.</summary>
    public void CloseAfterFlush() => _outgoing.Writer.TryComplete();

    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync()
    {
        var token = _cts.Token;
        var read = ReadLoopAsync(token);
        var write = WriteLoopAsync(token);
        var ping = KeepAliveLoopAsync(token);
        await Task.WhenAny(read, write, ping).ConfigureAwait(false);
        Abort();
        _outgoing.Writer.TryComplete();
        try
        {
            await Task.WhenAll(read, write, ping).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each loop ends by closing; their faults are the connection loss itself.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _reader.Dispose();
        _cts.Dispose();
    }

    private async Task ReadLoopAsync(CancellationToken token)
    {
        try
        {
            while (true)
            {
                var packet = await _reader.ReadAsync(token).ConfigureAwait(false);
                if (packet is null)
                {
                    return;
                }
                await _onPacket(this, packet).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or MqttProtocolException or System.Net.Sockets.SocketException)
        {
        }
    }

    private async Task WriteLoopAsync(CancellationToken token)
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                var batch = ArrayPool<byte>.Shared.Rent(WriteBatchSize);
                try
                {
                    var used = 0;
                    while (reader.TryRead(out var packet))
                    {
                        if (packet is MqttPublishPacket { Qos: MqttQos.AtMostOnce })
                        {
                            Interlocked.Decrement(ref _pendingQos0);
                        }
                        var size = MqttPacketEncoder.GetSize(packet, _version);
                        if (used + size > batch.Length)
                        {
                            await _stream.WriteAsync(batch.AsMemory(0, used), token).ConfigureAwait(false);
                            used = 0;
                            if (size > batch.Length)
                            {
                                await _stream.WriteAsync(MqttPacketEncoder.Encode(packet, _version), token).ConfigureAwait(false);
                                continue;
                            }
                        }
                        used += MqttPacketEncoder.Encode(batch.AsSpan(used), packet, _version);
                    }
                    if (used > 0)
                    {
                        await _stream.WriteAsync(batch.AsMemory(0, used), token).ConfigureAwait(false);
                    }
                    await _stream.FlushAsync(token).ConfigureAwait(false);
                    Volatile.Write(ref _lastSendMs, Environment.TickCount64);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(batch);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    private async Task KeepAliveLoopAsync(CancellationToken token)
    {
        if (_keepAliveSeconds == 0)
        {
            await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            return;
        }
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_keepAliveSeconds * 250, 100, 1000));
        using var timer = new PeriodicTimer(period);
        var keepAliveMs = _keepAliveSeconds * 1000L;
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            var now = Environment.TickCount64;
            var pingSent = Interlocked.Read(ref _pingSentMs);
            if (pingSent != 0 && now - pingSent > keepAliveMs)
            {
                // No PINGRESP within a keepalive period: the connection is dead (3.1.1 section 3.1.2.10).
                return;
            }
            if (pingSent == 0 && now - Volatile.Read(ref _lastSendMs) >= keepAliveMs * 3 / 4)
            {
                Interlocked.Exchange(ref _pingSentMs, now);
                Send(MqttPingReqPacket.Instance);
            }
        }
    }
}
