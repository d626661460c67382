using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>
/// Embedded MQTT 3.1.1/5.0 broker: TCP and TLS listeners, QoS 0/1 (QoS 2 accepted from publishers), retained
/// messages, wildcards, persistent sessions, wills, keepalive, client-id takeover, per-client authentication and
/// topic ACLs through <see cref="IMqttAuthenticator"/>. Start with <see cref="StartAsync"/>, stop with <see cref="StopAsync"/>.
/// </summary>
public sealed class MqttBroker : IAsyncDisposable
{
    private readonly Dictionary<string, MqttBrokerSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _sessionsLock = new();
    private readonly ConcurrentDictionary<MqttBrokerConnection, Task> _connections = new();
    private readonly MqttSubscriptionIndex _index = new();
    private readonly List<Socket> _listenSockets = [];
    private readonly List<Task> _loops = [];
    private readonly List<IPEndPoint> _boundEndpoints = [];
    private readonly MqttConnectionRateLimiter _rateLimiter;
    private readonly MqttSourceRateLimiter _sourceRateLimiter;
    private readonly Lock _stopLock = new();
    private readonly MqttMemoryTrim _memoryTrim = new();
    private CancellationTokenSource? _stopping;
    private Task? _stopTask;

    public MqttBroker(MqttBrokerOptions options, IMqttAuthenticator authenticator)
    {
        Options = options;
        Authenticator = authenticator;
        _rateLimiter = new MqttConnectionRateLimiter(options.MaxNewConnectionsPerSecond, Environment.TickCount64);
        _sourceRateLimiter = new MqttSourceRateLimiter(options.MaxNewConnectionsPerSecondPerAddress, options.MaxTrackedSourceAddresses, Environment.TickCount64);
    }

    public MqttBrokerOptions Options { get; }

    public IMqttAuthenticator Authenticator { get; }

    public MqttBrokerMetrics Metrics { get; } = new();

    /// <summary>The endpoints actually bound, in listener order (port 0 resolved).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _boundEndpoints;

    public int SessionCount
    {
        get
        {
            lock (_sessionsLock)
            {
                return _sessions.Count;
            }
        }
    }

    public int RetainedCount => Retained.Count;

    internal MqttRetainedStore Retained { get; } = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            if (_stopping is not null)
            {
                throw new InvalidOperationException("broker already started");
            }
            _stopping = new CancellationTokenSource();
        }
        foreach (var listener in Options.Listeners)
        {
            // One certificate context (the certificate and its chain, built once, before binding so a bad certificate
            // fails the start) for every connection of the listener, instead of one built by each handshake and kept
            // by each connection. Offline: the chain is the certificate and what it carries (the server's own CA
            // issues it); no intermediate is fetched.
            var tls = listener.Certificate is { } certificate ? SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true) : null;
            var socket = new Socket(listener.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(listener.EndPoint);
            socket.Listen(1024);
            _listenSockets.Add(socket);
            _boundEndpoints.Add((IPEndPoint)socket.LocalEndPoint!);
            _loops.Add(AcceptLoopAsync(socket, tls, _stopping.Token));
            LogLine(MqttBrokerLogLevel.Information, $"listening on {socket.LocalEndPoint}{(listener.Certificate is null ? "" : " (TLS)")}");
        }
        _loops.Add(HousekeepingLoopAsync(_stopping.Token));
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and closes every connection. Idempotent and safe to call concurrently: every caller awaits the same stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_stopLock)
        {
            if (_stopping is null)
            {
                return Task.CompletedTask;
            }
            stop = _stopTask ??= StopCoreAsync();
        }
        return stop.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task StopCoreAsync()
    {
        var stopping = _stopping!;
        await stopping.CancelAsync().ConfigureAwait(false);

        // Snapshots: the accept loop and closing connections may still change these collections.
        foreach (var s in _listenSockets.ToArray())
        {
            s.Dispose();
        }
        foreach (var c in _connections.Keys.ToArray())
        {
            c.Abort();
        }
        var all = Task.WhenAll(_loops.ToArray().Concat(_connections.Values.ToArray()));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        _listenSockets.Clear();
        _loops.Clear();
        stopping.Dispose();
    }

    /// <summary>Publishes from inside the server process, without a socket and without ACL checks. The payload is copied.</summary>
    public void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, MqttProperties? properties = null) =>
        PublishLocal(topic, payload.ToArray(), qos, retain, properties);

    /// <summary>
    /// Publishes from inside the server process like <see cref="Publish"/>, but keeps <paramref name="payload"/> by
    /// reference instead of copying it: every subscriber's queued PUBLISH, the retained store (with
    /// <paramref name="retain"/>) and in-process subscribers all read these same bytes, for as long as the message is
    /// queued or retained. For one payload fanned out to many topics and subscribers (the mesh publisher's signed
    /// documents), this saves a copy per publish and per delivery.
    /// </summary>
    /// <remarks>The caller hands the bytes over: it must never change them afterwards (nor reuse a pooled buffer).</remarks>
    public void PublishShared(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, MqttProperties? properties = null) =>
        PublishLocal(topic, payload, qos, retain, properties);

    private void PublishLocal(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain, MqttProperties? properties)
    {
        if (!Mqtt.Formatter.MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException("invalid topic name: " + topic, nameof(topic));
        }
        Metrics.MessageReceived();
        Route(new MqttBrokerMessage(topic, payload, qos > MqttQos.AtLeastOnce ? MqttQos.AtLeastOnce : qos, retain, properties, null, Environment.TickCount64));
    }

    /// <summary>
    /// Subscribes inside the server process (for example to node reports). The handler runs on the publishing
    /// connection's task for every matching message, so it must be quick: hand the message to a queue.
    /// Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable Subscribe(string filter, Action<MqttBrokerInboundMessage> handler)
    {
        if (!Mqtt.Formatter.MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException("invalid topic filter: " + filter, nameof(filter));
        }
        var session = new MqttBrokerSession("$local/" + Guid.NewGuid().ToString("N"), Options, Metrics) { LocalHandler = handler };
        _index.Add(filter, session, new MqttTopicFilter(filter, MqttQos.AtLeastOnce));
        return new LocalSubscription(() => _index.Remove(filter, session));
    }

    /// <summary>
    /// Ends a client's session for good (its node was deleted): a live connection gets a 5.0 DISCONNECT (Not
    /// authorized) after what is already queued and is closed, and the session with its subscriptions and queued
    /// messages is dropped, so nothing is kept for a client that may not come back; a connection of that client
    /// whose login is still being checked is closed too. True when there was a session or such a connection.
    /// </summary>
    public bool DisconnectClient(string clientId)
    {
        // A login of this client still being checked (it may have passed before its node was deleted) would
        // otherwise make a new session right after this. It is marked under the sessions lock, where TakeSession looks,
        // so it gets none whenever its check ends (an authenticator need not notice the cancellation), then closed.
        List<MqttBrokerConnection>? pending = null;
        MqttBrokerSession? session;
        lock (_sessionsLock)
        {
            foreach (var c in _connections.Keys)
            {
                if (c.Session is null && c.ClientId == clientId)
                {
                    c.LoginRevoked = true;
                    (pending ??= []).Add(c);
                }
            }
            if (_sessions.Remove(clientId, out session))
            {
                DropSubscriptions(session);
            }
        }
        // Outside the lock: a cancellation runs the connection's continuations on this thread.
        foreach (var c in pending ?? [])
        {
            c.Abort();
        }
        if (session is null)
        {
            if (pending is not null)
            {
                Metrics.AdministrativeDisconnect();
            }
            return pending is not null;
        }
        Metrics.AdministrativeDisconnect();
        if (session.Connection is { } connection)
        {
            LogLine(MqttBrokerLogLevel.Information, $"disconnecting '{clientId}' ({connection.Endpoint}): its session was ended by the server");
            connection.CloseAfterFlush(MqttReasonCode.NotAuthorized);
            // A client that stopped reading would never let the flush finish: close it anyway.
            _ = Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ContinueWith(_ => connection.Abort(), TaskScheduler.Default);
        }
        return true;
    }

    /// <summary>Number of queued (not yet in flight) QoS 1 messages for a client id, or -1 when it has no session.</summary>
    public int GetQueuedCount(string clientId)
    {
        lock (_sessionsLock)
        {
            return _sessions.TryGetValue(clientId, out var s) ? s.QueuedCount : -1;
        }
    }

    internal void LogLine(MqttBrokerLogLevel level, string message) => Options.Log?.Invoke(level, message);

    /// <summary>Stores a retained message and delivers to subscribers; false when the retain was refused (then nothing is delivered).</summary>
    /// <param name="retainOwner">The publishing principal, held to <see cref="MqttBrokerOptions.MaxRetainedMessagesPerPrincipal"/>; null for the server.</param>
    internal bool Route(MqttBrokerMessage message, string? retainOwner = null)
    {
        if (message.Retain && !Retained.TryApply(message, retainOwner, Options.MaxRetainedMessagesPerPrincipal))
        {
            Metrics.RetainedRefusal();
            LogLine(MqttBrokerLogLevel.Warning, $"'{retainOwner}' holds {Options.MaxRetainedMessagesPerPrincipal} retained messages; refusing '{message.Topic}'");
            return false;
        }
        var targets = new Dictionary<MqttBrokerSession, MqttTopicFilter>();
        _index.Match(message.Topic, targets);
        var now = Environment.TickCount64;
        long delivered = 0;
        foreach (var (session, subscription) in targets)
        {
            if (subscription.NoLocal && session.ClientId == message.PublisherClientId)
            {
                continue;
            }
            var qos = message.Qos < subscription.Qos ? message.Qos : subscription.Qos;

            // 3.1.1 section 3.3.1.3: forwarded messages carry retain 0 unless 5.0 retain-as-published asks otherwise.
            if (session.Deliver(message, qos, subscription.RetainAsPublished && message.Retain, now))
            {
                delivered++;
            }
        }
        Metrics.MessagesDeliveredAdd(delivered);
        return true;
    }

    /// <summary>Adds or replaces a subscription; null when the per-client limit is reached, else whether it is new.</summary>
    internal bool? Subscribe(MqttBrokerSession session, MqttTopicFilter filter)
    {
        lock (session.Gate)
        {
            var isNew = !session.Subscriptions.ContainsKey(filter.Filter);
            if (isNew && session.Subscriptions.Count >= Options.MaxSubscriptionsPerClient)
            {
                return null;
            }
            session.Subscriptions[filter.Filter] = filter;
            _index.Add(filter.Filter, session, filter);
            return isNew;
        }
    }

    internal bool Unsubscribe(MqttBrokerSession session, string filter)
    {
        lock (session.Gate)
        {
            if (!session.Subscriptions.Remove(filter))
            {
                return false;
            }
            _index.Remove(filter, session);
            return true;
        }
    }

    /// <summary>Finds or creates the session for a CONNECT, taking it over from an older connection with the same client id.</summary>
    /// <remarks><paramref name="sendConnAck"/> runs under the registry lock, before queued messages are resent, so CONNACK goes first.</remarks>
    internal MqttBrokerSession TakeSession(MqttBrokerConnection connection, string clientId, bool cleanStart, uint expirySeconds, Action<bool> sendConnAck)
    {
        lock (_sessionsLock)
        {
            if (connection.LoginRevoked)
            {
                // Closed quietly by the connection's loop, like any other cancellation.
                throw new OperationCanceledException($"the server ended client '{clientId}' while its login was being checked");
            }
            if (_sessions.TryGetValue(clientId, out var existing))
            {
                if (existing.Connection is { } old && old != connection)
                {
                    // 3.1.4: a second connection with the same client id disconnects the first.
                    Metrics.SessionTakeover();
                    LogLine(MqttBrokerLogLevel.Information, $"client '{clientId}' taken over by {connection.Endpoint}");
                    old.TakenOver = true;
                    existing.Detach(old, Environment.TickCount64);
                    old.CloseAfterFlush(MqttReasonCode.SessionTakenOver);
                }
                if (cleanStart)
                {
                    DropSubscriptions(existing);
                    _sessions.Remove(clientId);
                }
                else
                {
                    existing.ExpirySeconds = expirySeconds;
                    sendConnAck(true);
                    existing.Attach(connection, Environment.TickCount64);
                    return existing;
                }
            }
            var session = new MqttBrokerSession(clientId, Options, Metrics) { ExpirySeconds = expirySeconds };
            _sessions[clientId] = session;
            sendConnAck(false);
            session.Attach(connection, Environment.TickCount64);
            return session;
        }
    }

    internal void OnConnectionClosed(MqttBrokerConnection connection, bool graceful)
    {
        _connections.TryRemove(connection, out _);
        Metrics.ConnectionClosed();
        if (connection.Session is not { } session)
        {
            return;
        }
        var now = Environment.TickCount64;
        var detached = session.Detach(connection, now);
        if (!graceful && !connection.TakenOver && connection.Will is { } will)
        {
            LogLine(MqttBrokerLogLevel.Debug, $"publishing will of '{connection.ClientId}' to '{will.Topic}'");
            Route(new MqttBrokerMessage(will.Topic, will.Payload, will.Qos > MqttQos.AtLeastOnce ? MqttQos.AtLeastOnce : will.Qos, will.Retain,
                connection.Version == MqttProtocolVersion.V500 ? will.Properties : null, connection.ClientId, now), connection.Principal?.Name);
        }
        if (detached && session.ExpirySeconds == 0)
        {
            lock (_sessionsLock)
            {
                if (_sessions.TryGetValue(session.ClientId, out var current) && current == session && session.Connection is null)
                {
                    _sessions.Remove(session.ClientId);
                    DropSubscriptions(session);
                }
            }
        }
    }

    private void DropSubscriptions(MqttBrokerSession session)
    {
        lock (session.Gate)
        {
            foreach (var filter in session.Subscriptions.Keys)
            {
                _index.Remove(filter, session);
            }
        }
        session.Clear();
    }

    private sealed class LocalSubscription(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }

    private async Task AcceptLoopAsync(Socket listenSocket, SslStreamCertificateContext? tls, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and similar: keep serving existing clients, retry shortly.
                LogLine(MqttBrokerLogLevel.Warning, "accept failed: " + e.Message);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            // The source's own budget first: a flooding address is refused before it can take broker-wide tokens.
            var now = Environment.TickCount64;
            if (_connections.Count >= Options.MaxConnections
                || !_sourceRateLimiter.TryAcquire((socket.RemoteEndPoint as IPEndPoint)?.Address, now)
                || !_rateLimiter.TryAcquire(now))
            {
                Metrics.ConnectionRefused();
                LogLine(MqttBrokerLogLevel.Warning, $"refusing {socket.RemoteEndPoint}: connection limit or rate reached");
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            Metrics.ConnectionAccepted();
            Metrics.ConnectionOpened();
            var connection = new MqttBrokerConnection(this, socket, tls);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = RunConnectionAsync(connection, started.Task, stopping);
            started.SetResult();
        }
    }

    private static async Task RunConnectionAsync(MqttBrokerConnection connection, Task registered, CancellationToken stopping)
    {
        await registered.ConfigureAwait(false);
        await connection.RunAsync(stopping).ConfigureAwait(false);
    }

    private async Task HousekeepingLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Options.HousekeepingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                _sourceRateLimiter.Prune(now);
                if (Options.TrimMemoryWhenQuiet && _memoryTrim.Tick(now))
                {
                    LogLine(MqttBrokerLogLevel.Debug, "quiet after a burst: returned free GC memory to the system");
                }
                foreach (var c in _connections.Keys)
                {
                    // 3.1.1 section 3.1.2.10: nothing received for 1.5 x keepalive means the client is gone.
                    if (c.IsConnected && c.KeepAliveSeconds > 0 && now - c.LastActivityMs > c.KeepAliveSeconds * 1500L && c.TryMarkKeepAliveExpired())
                    {
                        Metrics.KeepAliveTimeout();
                        LogLine(MqttBrokerLogLevel.Information, $"'{c.ClientId}' keepalive expired");
                        c.CloseAfterFlush(MqttReasonCode.KeepAliveTimeout);
                        c.Abort();
                    }
                }
                lock (_sessionsLock)
                {
                    List<MqttBrokerSession>? expired = null;
                    foreach (var s in _sessions.Values)
                    {
                        if (s.Connection is null && now - s.DetachedAtMs > s.ExpirySeconds * 1000L)
                        {
                            (expired ??= []).Add(s);
                        }
                    }
                    foreach (var s in expired ?? [])
                    {
                        _sessions.Remove(s.ClientId);
                        DropSubscriptions(s);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
