using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>
/// State that outlives a connection for a client id: subscriptions, QoS 1 messages in flight and queued.
/// All members are guarded by <see cref="Gate"/>.
/// </summary>
internal sealed class MqttBrokerSession
{
    // Above this many slots, an in-flight table that drained gives its arrays back.
    private const int KeptInflightCapacity = 8;
    private readonly MqttBrokerOptions _options;
    private readonly MqttBrokerMetrics _metrics;
    private readonly Dictionary<ushort, Outgoing> _inflight = [];
    private readonly Queue<Outgoing> _pending = new();
    private ushort _lastPacketId;

    public MqttBrokerSession(string clientId, MqttBrokerOptions options, MqttBrokerMetrics metrics)
    {
        ClientId = clientId;
        _options = options;
        _metrics = metrics;
    }

    public string ClientId { get; }

    /// <summary>Set for an in-process subscriber: messages go to this handler instead of a socket.</summary>
    public Action<MqttBrokerInboundMessage>? LocalHandler { get; init; }

    public Lock Gate { get; } = new();

    public Dictionary<string, MqttTopicFilter> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>QoS 2 packet ids received and waiting for PUBREL (3.1.1 section 4.3.3).</summary>
    public HashSet<ushort> AwaitingRelease { get; } = [];

    public MqttBrokerConnection? Connection { get; private set; }

    /// <summary>Seconds the session survives after its connection closes; 0 ends it with the connection.</summary>
    public uint ExpirySeconds { get; set; }

    public long DetachedAtMs { get; private set; }

    /// <summary>
    /// The Maximum Packet Size the client announced on its last CONNECT (5.0; unlimited otherwise). Kept while the
    /// client is offline, so a message it could never take is dropped on arrival instead of waiting in the queue.
    /// </summary>
    public int ClientMaxPacketSize { get; private set; } = int.MaxValue;

    private MqttProtocolVersion _clientVersion = MqttProtocolVersion.V311;

    public int QueuedCount
    {
        get
        {
            lock (Gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Sends or queues one message at the granted QoS; returns false when it was dropped.</summary>
    public bool Deliver(MqttBrokerMessage message, MqttQos qos, bool retainFlag, long nowMs)
    {
        if (LocalHandler is { } local)
        {
            local(new MqttBrokerInboundMessage(message.Topic, message.Payload, message.Qos, message.PublisherClientId, message.Properties));
            return true;
        }
        if (qos == MqttQos.AtMostOnce)
        {
            // 3.1.1 section 3.1.2.4: queuing QoS 0 for offline sessions is optional; like Mosquitto's default we do not.
            var connection = Connection;
            if (connection is null)
            {
                return false;
            }
            var frame = retainFlag
                ? MqttOutgoingFrame.Publish(message.ToPacket(qos, true, 0, false, connection.Version, nowMs), connection.Version)
                : message.GetQos0Frame(connection.Version, nowMs);
            return connection.EnqueueDroppable(frame);
        }
        lock (Gate)
        {
            if (TooLargeForClient(message, qos, retainFlag, nowMs))
            {
                // 5.0 section 3.1.2.11.4: discarded as if delivered. Queued, it would only wait for a client that can
                // never take it (and push good messages out of a full queue).
                _metrics.OversizeDrop();
                return false;
            }
            var item = new Outgoing(message, qos, retainFlag);
            if (Connection is { } c && _inflight.Count < InflightLimit(c))
            {
                Send(c, item, NextPacketId(), duplicate: false, nowMs);
                return true;
            }
            if (_pending.Count >= _options.MaxQueuedMessagesPerClient)
            {
                _pending.Dequeue();
                _metrics.QueuedMessageDropped();
            }
            _pending.Enqueue(item);
            return true;
        }
    }

    /// <summary>PUBACK from the client: the slot frees and the next queued message goes out.</summary>
    public void Acknowledge(ushort packetId, long nowMs)
    {
        lock (Gate)
        {
            if (_inflight.Remove(packetId))
            {
                FillWindow(nowMs);
                if (_inflight.Count == 0 && _inflight.Capacity > KeptInflightCapacity)
                {
                    // A burst (a snapshot in parts) grew the table to the whole window; thousands of idle sessions
                    // should not each keep that (about 1 KB at a window of 32).
                    _inflight.TrimExcess();
                }
            }
        }
    }

    /// <summary>A connection takes this session: unacknowledged messages are resent with DUP (3.1.1 section 4.4), then the queue drains.</summary>
    public void Attach(MqttBrokerConnection connection, long nowMs)
    {
        lock (Gate)
        {
            Connection = connection;
            ClientMaxPacketSize = connection.MaxOutgoingPacketSize;
            _clientVersion = connection.Version;
            foreach (var (id, item) in _inflight.OrderBy(kv => kv.Value.Sequence).ToList())
            {
                if (TooLargeForClient(item.Message, item.Qos, item.RetainFlag, nowMs))
                {
                    // The client reconnected announcing a smaller maximum than when this was sent.
                    _inflight.Remove(id);
                    _metrics.OversizeDrop();
                    continue;
                }
                connection.Enqueue(MqttOutgoingFrame.Publish(item.Message.ToPacket(item.Qos, item.RetainFlag, id, true, connection.Version, nowMs), connection.Version));
            }
            FillWindow(nowMs);
        }
    }

    /// <summary>Detaches <paramref name="connection"/> if it still owns the session.</summary>
    public bool Detach(MqttBrokerConnection connection, long nowMs)
    {
        lock (Gate)
        {
            if (Connection != connection)
            {
                return false;
            }
            Connection = null;
            DetachedAtMs = nowMs;
            return true;
        }
    }

    /// <summary>Forgets in-flight and queued messages (clean session).</summary>
    public void Clear()
    {
        lock (Gate)
        {
            _inflight.Clear();
            _pending.Clear();
            AwaitingRelease.Clear();
            Subscriptions.Clear();
        }
    }

    private void FillWindow(long nowMs)
    {
        while (Connection is { } c && _inflight.Count < InflightLimit(c) && _pending.TryDequeue(out var item))
        {
            if (item.Message.IsExpired(nowMs))
            {
                continue;
            }
            Send(c, item, NextPacketId(), duplicate: false, nowMs);
        }
    }

    private int InflightLimit(MqttBrokerConnection connection) => Math.Min(_options.MaxInflightPerClient, connection.ReceiveMaximum);

    private void Send(MqttBrokerConnection connection, Outgoing item, ushort packetId, bool duplicate, long nowMs)
    {
        var frame = MqttOutgoingFrame.Publish(item.Message.ToPacket(item.Qos, item.RetainFlag, packetId, duplicate, connection.Version, nowMs), connection.Version);
        if (frame.Length > connection.MaxOutgoingPacketSize)
        {
            // 5.0 section 3.1.2.11.4: a message too large for the client is discarded as if delivered.
            _metrics.OversizeDrop();
            return;
        }
        _inflight[packetId] = item;
        connection.Enqueue(frame);
    }

    // Only 5.0 clients announce a maximum; everyone else costs nothing here.
    private bool TooLargeForClient(MqttBrokerMessage message, MqttQos qos, bool retainFlag, long nowMs) =>
        ClientMaxPacketSize != int.MaxValue
        && (message.Payload.Length > ClientMaxPacketSize
            || MqttOutgoingFrame.Publish(message.ToPacket(qos, retainFlag, 1, false, _clientVersion, nowMs), _clientVersion).Length > ClientMaxPacketSize);

    private ushort NextPacketId()
    {
        do
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
        }
        while (_inflight.ContainsKey(_lastPacketId));
        return _lastPacketId;
    }

    private sealed class Outgoing
    {
        private static long s_sequence;

        public Outgoing(MqttBrokerMessage message, MqttQos qos, bool retainFlag)
        {
            Message = message;
            Qos = qos;
            RetainFlag = retainFlag;
            Sequence = Interlocked.Increment(ref s_sequence);
        }

        public MqttBrokerMessage Message { get; }
        public MqttQos Qos { get; }
        public bool RetainFlag { get; }
        public long Sequence { get; }
    }
}
