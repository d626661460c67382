using System.Text;
using System.Threading.Channels;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Mqtt.Client;

/// <summary>
/// MQTT 3.1.1/5.0 client: QoS 0 and 1 publishing with in-flight tracking and redelivery, subscriptions that are
/// renewed after a reconnect, keepalive, last will, and automatic reconnect with exponential backoff and jitter.
/// No call waits on the network except the awaitables that say so (ConnectAsync, SubscribeAsync, QoS 1 PublishAsync).
/// </summary>
public sealed class MqttClient : IMqttClient
{
    private readonly MqttClientOptions _options;
    private readonly IMqttTransport _transport;
    private readonly Channel<MqttReceivedMessage> _incoming;
    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, Inflight> _inflight = [];

    // QoS 1 messages accepted but held back by the broker's 5.0 Receive Maximum, in publish order.
    private readonly Queue<Inflight> _unsent = new();
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _pendingAcks = [];
    private readonly Dictionary<string, MqttTopicFilter> _subscriptions = new(StringComparer.Ordinal);
    private readonly Queue<MqttPublishPacket> _offline = new();
    private readonly HashSet<ushort> _awaitingRelease = [];
    private readonly CancellationTokenSource _lifetime = new();
    private MqttClientConnection? _connection;
    private Task? _supervisor;
    private ushort _lastPacketId;
    private long _inflightSequence;
    private int _sendWindow = ushort.MaxValue;
    private int _sentUnacked;
    private long _reconnects;
    private long _droppedQos0;
    private bool _stopping;

    // Set once the client will never connect again (disposed, disconnected, or lost with AutoReconnect off).
    private Exception? _ended;

    public MqttClient(MqttClientOptions options, IMqttTransport? transport = null)
    {
        _options = options;
        _transport = transport ?? (options.FailoverBrokers.Count == 0
            ? new MqttTcpTransport(options.Host, options.Port, options.Tls)
            : new MqttFailoverTransport([
                new MqttTcpTransport(options.Host, options.Port, options.Tls),
                .. options.FailoverBrokers.Select(b => new MqttTcpTransport(b.Host, b.Port, options.Tls))]));
        _incoming = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(options.IncomingCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Messages received on the client's subscriptions, in arrival order.</summary>
    public ChannelReader<MqttReceivedMessage> Messages => _incoming.Reader;

    public bool IsConnected => _connection is { IsOpen: true };

    /// <summary>Successful reconnects after the first connection.</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnects);

    /// <summary>QoS 0 messages dropped because the offline or socket queue was full.</summary>
    public long DroppedQos0Count => Interlocked.Read(ref _droppedQos0);

    /// <summary>QoS 1 messages published and not yet acknowledged.</summary>
    public int InflightCount
    {
        get
        {
            lock (_gate)
            {
                return _inflight.Count;
            }
        }
    }

    /// <summary>Raised with true on every (re)connect and false on every loss; runs on a pool thread.</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>Connects once (failing if the broker is unreachable or refuses); afterwards the client reconnects by itself.</summary>
    /// <returns>Whether the broker still had a session for this client id.</returns>
    public async Task<bool> ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_supervisor is not null)
        {
            throw new InvalidOperationException("already connected");
        }
        var (connection, sessionPresent) = await OpenAsync(cancellationToken).ConfigureAwait(false);
        Install(connection, sessionPresent);
        _supervisor = SuperviseAsync(connection);
        return sessionPresent;
    }

    /// <summary>
    /// Publishes a message. QoS 0 completes at once (queued; dropped and counted when the queue is full).
    /// QoS 1 completes when the broker acknowledges it; it is resent after reconnects until then.
    /// </summary>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        if (!MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException("invalid MQTT topic name: " + topic, nameof(topic));
        }
        if (qos == MqttQos.ExactlyOnce)
        {
            throw new NotSupportedException("this client publishes at QoS 0 or 1");
        }
        var packet = new MqttPublishPacket { Topic = topic, Payload = payload, Qos = qos, Retain = retain, Properties = properties };
        if (qos == MqttQos.AtMostOnce)
        {
            var connection = _connection;
            if (connection is not null && connection.IsOpen)
            {
                if (!connection.SendDroppable(packet, _options.MaxPendingQos0))
                {
                    Interlocked.Increment(ref _droppedQos0);
                }
                return ValueTask.CompletedTask;
            }
            lock (_gate)
            {
                if (_offline.Count >= _options.MaxPendingQos0)
                {
                    _offline.Dequeue();
                    Interlocked.Increment(ref _droppedQos0);
                }
                _offline.Enqueue(packet);
            }
            return ValueTask.CompletedTask;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_ended is { } ended)
            {
                // Nothing would ever send or acknowledge it: fail now instead of waiting forever.
                return ValueTask.FromException(ended);
            }
            if (_inflight.Count >= _options.MaxInflight)
            {
                throw new MqttClientQueueFullException();
            }
            packet.PacketId = NextPacketId();
            var item = new Inflight(packet, done, ++_inflightSequence);
            _inflight[packet.PacketId] = item;
            if (_connection is { } connection && _sentUnacked < _sendWindow)
            {
                SendInflight(connection, item);
            }
            else
            {
                _unsent.Enqueue(item);
            }
        }
        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    public ValueTask PublishAsync(string topic, string payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, CancellationToken cancellationToken = default)
        => PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, retain, null, cancellationToken);

    /// <summary>Subscribes and returns the broker's code per filter (granted QoS, or 0x80 and above for failure).</summary>
    /// <remarks>The filters are remembered and renewed after a reconnect that did not resume a session.</remarks>
    public async Task<IReadOnlyList<byte>> SubscribeAsync(IReadOnlyList<MqttTopicFilter> filters, CancellationToken cancellationToken = default)
    {
        foreach (var f in filters)
        {
            if (!MqttTopic.IsValidTopicFilter(f.Filter))
            {
                throw new ArgumentException("invalid MQTT topic filter: " + f.Filter, nameof(filters));
            }
        }
        Task<MqttPacket> ack;
        lock (_gate)
        {
            foreach (var f in filters)
            {
                _subscriptions[f.Filter] = f;
            }
            ack = SendWithAck(id => new MqttSubscribePacket { PacketId = id, Filters = [.. filters] });
        }
        var subAck = (MqttSubAckPacket)await ack.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            for (var i = 0; i < filters.Count && i < subAck.ReasonCodes.Count; i++)
            {
                if (subAck.ReasonCodes[i] >= 0x80)
                {
                    _subscriptions.Remove(filters[i].Filter);
                }
            }
        }
        return subAck.ReasonCodes;
    }

    public Task<IReadOnlyList<byte>> SubscribeAsync(string filter, MqttQos qos = MqttQos.AtLeastOnce, CancellationToken cancellationToken = default)
        => SubscribeAsync([new MqttTopicFilter(filter, qos)], cancellationToken);

    public async Task UnsubscribeAsync(string filter, CancellationToken cancellationToken = default)
    {
        Task<MqttPacket> ack;
        lock (_gate)
        {
            _subscriptions.Remove(filter);
            ack = SendWithAck(id => new MqttUnsubscribePacket { PacketId = id, Filters = [filter] });
        }
        await ack.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends DISCONNECT (so no will is published) and stops reconnecting.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        _stopping = true;
        var connection = _connection;
        if (connection is not null)
        {
            connection.Send(new MqttDisconnectPacket());
            connection.CloseAfterFlush();
            await Task.WhenAny(connection.Completion, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_supervisor is not null)
        {
            await _supervisor.ConfigureAwait(false);
        }
        End(new MqttConnectionLostException("disconnected before the broker acknowledged"));
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _connection?.Abort();
        if (_supervisor is not null)
        {
            await _supervisor.ConfigureAwait(false);
        }
        End(new ObjectDisposedException(nameof(MqttClient)));
        _incoming.Writer.TryComplete();
        _lifetime.Dispose();
    }

    private Task<MqttPacket> SendWithAck(Func<ushort, MqttPacket> build)
    {
        var id = NextPacketId();
        var tcs = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingAcks[id] = tcs;
        if (_connection is not { IsOpen: true } connection || !connection.Send(build(id)))
        {
            _pendingAcks.Remove(id);
            tcs.SetException(new MqttConnectionLostException("not connected"));
        }
        return tcs.Task;
    }

    /// <summary>Marks the client as finished (first reason wins) and fails every QoS 1 publish still waiting for PUBACK.</summary>
    private void End(Exception reason)
    {
        List<Inflight> pending;
        lock (_gate)
        {
            _ended ??= reason;
            pending = [.. _inflight.Values];
            _inflight.Clear();
            _unsent.Clear();
            _sentUnacked = 0;
            foreach (var ack in _pendingAcks.Values)
            {
                ack.TrySetException(_ended);
            }
            _pendingAcks.Clear();
        }
        foreach (var item in pending)
        {
            item.Completion.TrySetException(_ended);
        }
    }

    /// <summary>Sends a QoS 1 message (with DUP when it went out before); call under the gate.</summary>
    private void SendInflight(MqttClientConnection connection, Inflight item)
    {
        var p = item.Packet;
        connection.Send(item.EverSent
            ? new MqttPublishPacket { Topic = p.Topic, Payload = p.Payload, Qos = p.Qos, Retain = p.Retain, PacketId = p.PacketId, Properties = p.Properties, Duplicate = true }
            : p);
        item.EverSent = true;
        item.OnWire = true;
        _sentUnacked++;
    }

    /// <summary>One connection attempt within <see cref="MqttClientOptions.ConnectTimeout"/>; a timeout is a <see cref="TimeoutException"/>.</summary>
    private async Task<(MqttClientConnection, bool)> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            return await OpenWithinAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            // Our own deadline, not the caller's cancellation: a failed attempt the caller may retry, not a cancel.
            throw new TimeoutException($"no CONNACK from the broker within {_options.ConnectTimeout.TotalSeconds:0.#} s");
        }
    }

    private async Task<(MqttClientConnection, bool)> OpenWithinAsync(CancellationToken deadline)
    {
        var stream = await _transport.ConnectAsync(deadline).ConfigureAwait(false);
        var reader = new MqttFrameReader(stream, _options.MaxPacketSize, releaseBufferWhenIdle: false) { ProtocolVersion = _options.ProtocolVersion };
        try
        {
            var connect = new MqttConnectPacket
            {
                ProtocolVersion = _options.ProtocolVersion,
                ClientId = _options.ClientId,
                CleanSession = _options.CleanSession,
                KeepAliveSeconds = _options.KeepAliveSeconds,
                UserName = _options.UserName,
                Password = _options.Password is null ? null : Encoding.UTF8.GetBytes(_options.Password),
                Will = _options.Will,
                Properties = _options.ProtocolVersion == MqttProtocolVersion.V500 && _options.SessionExpirySeconds > 0
                    ? new MqttProperties { SessionExpiryInterval = _options.SessionExpirySeconds }
                    : null,
            };
            await MqttFrameWriter.WriteAsync(stream, connect, _options.ProtocolVersion, deadline).ConfigureAwait(false);
            var answer = await reader.ReadAsync(deadline).ConfigureAwait(false);
            if (answer is not MqttConnAckPacket ack)
            {
                throw new MqttProtocolException($"expected CONNACK, got {answer?.Type.ToString() ?? "end of stream"}");
            }
            if (ack.ReasonCode != 0)
            {
                throw new MqttConnectException(ack.ReasonCode);
            }
            lock (_gate)
            {
                _sendWindow = ack.Properties?.ReceiveMaximum ?? ushort.MaxValue;
            }
            return (new MqttClientConnection(stream, reader, _options.ProtocolVersion, _options.KeepAliveSeconds, OnPacketAsync), ack.SessionPresent);
        }
        catch
        {
            reader.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes a fresh connection current: renews subscriptions, resends unacknowledged QoS 1 with DUP, flushes queued QoS 0.</summary>
    private void Install(MqttClientConnection connection, bool sessionPresent)
    {
        lock (_gate)
        {
            _connection = connection;
            connection.Start();
            if (!sessionPresent && _subscriptions.Count > 0)
            {
                // Nobody awaits this SUBACK; OnPacketAsync ignores acks it does not expect.
                connection.Send(new MqttSubscribePacket { PacketId = NextPacketId(), Filters = [.. _subscriptions.Values] });
            }
            // Everything unacknowledged goes again, oldest first, within the broker's Receive Maximum (5.0 section 4.9).
            _sentUnacked = 0;
            _unsent.Clear();
            foreach (var item in _inflight.Values.OrderBy(i => i.Sequence))
            {
                item.OnWire = false;
                if (_sentUnacked < _sendWindow)
                {
                    SendInflight(connection, item);
                }
                else
                {
                    _unsent.Enqueue(item);
                }
            }
            while (_offline.TryDequeue(out var packet))
            {
                connection.SendDroppable(packet, _options.MaxPendingQos0);
            }
        }
        ConnectionChanged?.Invoke(true);
    }

    private async Task SuperviseAsync(MqttClientConnection connection)
    {
        var token = _lifetime.Token;
        while (true)
        {
            await connection.Completion.ConfigureAwait(false);
            lock (_gate)
            {
                _connection = null;
                foreach (var pending in _pendingAcks.Values)
                {
                    pending.TrySetException(new MqttConnectionLostException());
                }
                _pendingAcks.Clear();
            }
            ConnectionChanged?.Invoke(false);
            if (!_options.AutoReconnect)
            {
                End(new MqttConnectionLostException());
                return;
            }
            if (_stopping)
            {
                return;
            }
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Task.Delay(BackoffDelay(attempt), token).ConfigureAwait(false);
                    var (next, present) = await OpenAsync(token).ConfigureAwait(false);
                    // Counted before the new connection reads: a resumed session's queued messages may be delivered at
                    // once, and a reader who sees one must see the reconnect that brought it.
                    Interlocked.Increment(ref _reconnects);
                    Install(next, present);
                    connection = next;
                    break;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // Broker down, refused, TLS failure: try again after a longer pause.
                }
            }
        }
    }

    /// <summary>Exponential backoff capped at the maximum, with jitter so a fleet does not reconnect in lockstep.</summary>
    private TimeSpan BackoffDelay(int attempt)
    {
        var min = _options.ReconnectMinDelay.TotalMilliseconds;
        var ceiling = Math.Min(_options.ReconnectMaxDelay.TotalMilliseconds, min * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    private async ValueTask OnPacketAsync(MqttClientConnection connection, MqttPacket packet)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                if (publish.Qos == MqttQos.ExactlyOnce)
                {
                    bool first;
                    lock (_gate)
                    {
                        first = _awaitingRelease.Add(publish.PacketId);
                    }
                    if (first)
                    {
                        await _incoming.Writer.WriteAsync(ToMessage(publish), _lifetime.Token).ConfigureAwait(false);
                    }
                    connection.Send(new MqttPubRecPacket { PacketId = publish.PacketId });
                    return;
                }
                await _incoming.Writer.WriteAsync(ToMessage(publish), _lifetime.Token).ConfigureAwait(false);
                if (publish.Qos == MqttQos.AtLeastOnce)
                {
                    connection.Send(new MqttPubAckPacket { PacketId = publish.PacketId });
                }
                return;
            case MqttPubRelPacket rel:
                lock (_gate)
                {
                    _awaitingRelease.Remove(rel.PacketId);
                }
                connection.Send(new MqttPubCompPacket { PacketId = rel.PacketId });
                return;
            case MqttPubAckPacket ack:
                Inflight? done;
                lock (_gate)
                {
                    if (_inflight.Remove(ack.PacketId, out done) && done.OnWire)
                    {
                        _sentUnacked--;
                        while (_sentUnacked < _sendWindow && _unsent.TryDequeue(out var next))
                        {
                            if (_inflight.ContainsKey(next.Packet.PacketId))
                            {
                                SendInflight(connection, next);
                            }
                        }
                    }
                }
                if (done is not null)
                {
                    if ((byte)ack.ReasonCode >= 0x80)
                    {
                        done.Completion.TrySetException(new MqttPublishRefusedException(ack.ReasonCode));
                    }
                    else
                    {
                        done.Completion.TrySetResult();
                    }
                }
                return;
            case MqttSubAckPacket or MqttUnsubAckPacket:
                var id = packet is MqttSubAckPacket s ? s.PacketId : ((MqttUnsubAckPacket)packet).PacketId;
                TaskCompletionSource<MqttPacket>? waiter;
                lock (_gate)
                {
                    _pendingAcks.Remove(id, out waiter);
                }
                waiter?.TrySetResult(packet);
                return;
            case MqttPingRespPacket:
                connection.PingAnswered();
                return;
            case MqttDisconnectPacket:
                connection.Abort();
                return;
            default:
                // CONNACK twice, or a client-to-server packet: the broker is broken; start over.
                connection.Abort();
                return;
        }
    }

    private static MqttReceivedMessage ToMessage(MqttPublishPacket p) => new(p.Topic, p.Payload, p.Qos, p.Retain, p.Properties);

    private ushort NextPacketId()
    {
        do
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
        }
        while (_inflight.ContainsKey(_lastPacketId) || _pendingAcks.ContainsKey(_lastPacketId));
        return _lastPacketId;
    }

    private sealed class Inflight(MqttPublishPacket packet, TaskCompletionSource completion, long sequence)
    {
        public MqttPublishPacket Packet { get; } = packet;
        public TaskCompletionSource Completion { get; } = completion;
        public long Sequence { get; } = sequence;

        /// <summary>Sent on some connection before: a resend carries DUP.</summary>
        public bool EverSent { get; set; }

        /// <summary>Sent on the current connection and counted against the send window.</summary>
        public bool OnWire { get; set; }
    }
}
