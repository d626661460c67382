namespace Appliance.Broker;

/// <summary>Counters the broker keeps; read them for metrics export. Increments are atomic.</summary>
public sealed class MqttBrokerMetrics
{
    private long _connectionsAccepted;
    private long _connectionsRefused;
    private long _connectionsCurrent;
    private long _authenticationFailures;
    private long _aclDenials;
    private long _malformedPackets;
    private long _messagesReceived;
    private long _messagesDelivered;
    private long _queuedMessagesDropped;
    private long _slowConsumerDrops;
    private long _keepAliveTimeouts;
    private long _sessionTakeovers;
    private long _internalErrors;
    private long _packetsDecoded;
    private long _slowConsumerDisconnects;
    private long _retainedRefusals;
    private long _oversizeDrops;
    private long _administrativeDisconnects;

    /// <summary>
    /// The connections' write loops, one run per wake-up: the queued frames of one connection gathered, encrypted and
    /// written to its socket (the fan-out's per-subscriber cost; PUBACK reads and the thread pool's dispatch are not in it).
    /// </summary>
    public StageCounter Writes { get; } = new();

    /// <summary>Sockets accepted and past the connection limits.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Sockets closed at once by the max-connections or connection-rate limit.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);

    public long ConnectionsCurrent => Interlocked.Read(ref _connectionsCurrent);

    public long AuthenticationFailures => Interlocked.Read(ref _authenticationFailures);

    /// <summary>SUBSCRIBE filters refused, PUBLISH and will topics refused by a principal's ACL.</summary>
    public long AclDenials => Interlocked.Read(ref _aclDenials);

    /// <summary>Connections closed because of a malformed or oversize packet or a protocol violation.</summary>
    public long MalformedPackets => Interlocked.Read(ref _malformedPackets);

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long MessagesDelivered => Interlocked.Read(ref _messagesDelivered);

    /// <summary>Oldest queued QoS 1 messages dropped because a session's queue was full.</summary>
    public long QueuedMessagesDropped => Interlocked.Read(ref _queuedMessagesDropped);

    /// <summary>QoS 0 messages dropped because a client's socket could not keep up.</summary>
    public long SlowConsumerDrops => Interlocked.Read(ref _slowConsumerDrops);

    public long KeepAliveTimeouts => Interlocked.Read(ref _keepAliveTimeouts);

    public long SessionTakeovers => Interlocked.Read(ref _sessionTakeovers);

    /// <summary>Unexpected exceptions caught at a connection's top level (a bug if ever non-zero); the connection is closed.</summary>
    public long InternalErrors => Interlocked.Read(ref _internalErrors);

    /// <summary>Packets read off client sockets and decoded without error, CONNECT included (malformed ones count in <see cref="MalformedPackets"/>).</summary>
    public long PacketsDecoded => Interlocked.Read(ref _packetsDecoded);

    internal void PacketDecoded() => Interlocked.Increment(ref _packetsDecoded);

    /// <summary>Clients disconnected because more than <see cref="MqttBrokerOptions.MaxPendingBytesPerClient"/> waited for their socket.</summary>
    public long SlowConsumerDisconnects => Interlocked.Read(ref _slowConsumerDisconnects);

    internal void SlowConsumerDisconnect() => Interlocked.Increment(ref _slowConsumerDisconnects);

    /// <summary>Retained publishes refused because the principal already held <see cref="MqttBrokerOptions.MaxRetainedMessagesPerPrincipal"/>.</summary>
    public long RetainedRefusals => Interlocked.Read(ref _retainedRefusals);

    internal void RetainedRefusal() => Interlocked.Increment(ref _retainedRefusals);

    /// <summary>
    /// Messages dropped for one client because they were larger than the Maximum Packet Size its 5.0 CONNECT announced
    /// (5.0 section 3.1.2.11.4): never sent, and never kept in its persistent session.
    /// </summary>
    public long OversizeDrops => Interlocked.Read(ref _oversizeDrops);

    internal void OversizeDrop() => Interlocked.Increment(ref _oversizeDrops);

    /// <summary>Sessions ended by the server through <see cref="MqttBroker.DisconnectClient"/> (a deleted node).</summary>
    public long AdministrativeDisconnects => Interlocked.Read(ref _administrativeDisconnects);

    internal void AdministrativeDisconnect() => Interlocked.Increment(ref _administrativeDisconnects);

    internal void InternalError() => Interlocked.Increment(ref _internalErrors);

    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsAccepted);

    internal void ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);

    internal void ConnectionOpened() => Interlocked.Increment(ref _connectionsCurrent);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connectionsCurrent);

    internal void AuthenticationFailed() => Interlocked.Increment(ref _authenticationFailures);

    internal void AclDenied() => Interlocked.Increment(ref _aclDenials);

    internal void MalformedPacket() => Interlocked.Increment(ref _malformedPackets);

    internal void MessageReceived() => Interlocked.Increment(ref _messagesReceived);

    internal void MessagesDeliveredAdd(long count) => Interlocked.Add(ref _messagesDelivered, count);

    internal void QueuedMessageDropped() => Interlocked.Increment(ref _queuedMessagesDropped);

    internal void SlowConsumerDrop() => Interlocked.Increment(ref _slowConsumerDrops);

    internal void KeepAliveTimeout() => Interlocked.Increment(ref _keepAliveTimeouts);

    internal void SessionTakeover() => Interlocked.Increment(ref _sessionTakeovers);
}
