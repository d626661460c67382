using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Broker;

/// <summary>One client socket: reads and dispatches packets, and writes queued frames from a single writer task.</summary>
/// <remarks>A queued PUBLISH is a small header plus the message's payload by reference (<see cref="MqttOutgoingFrame"/>).</remarks>
internal sealed class MqttBrokerConnection
{
    private const int WriteBatchSize = 64 * 1024;

    /// <summary>
    /// Largest single write to a TLS stream. OpenSSL's output memory BIO keeps the capacity of the largest write it
    /// ever encrypted (BUF_MEM grows by 4/3 and never shrinks), per connection: one 64 KB write leaves ~44 KB behind
    /// (SslStream encrypts 32 KB at a time), an 8 KB write ~11 KB, a 4 KB write ~5.5 KB. Measured with 2000 clients
    /// taking 1.2 MB each (tests/bench/Appliance.Bench.Mqtt tls-memory): 4 KB costs ~9% more broker CPU than 8 KB on
    /// such bulk transfers and nothing on small messages. Plain TCP writes are not split.
    /// </summary>
    internal const int TlsWriteChunkSize = 4 * 1024;

    private readonly MqttBroker _broker;
    private readonly Socket _socket;
    private readonly SslStreamCertificateContext? _tls;
    private readonly MqttOutgoingQueue _outgoing = new();
    private readonly CancellationTokenSource _cts = new();
    private int _pendingWrites;
    private int _keepAliveExpired;
    private long _pendingBytes;
    private int _slowConsumerClosed;
    private bool _takenOver;
    private bool _graceful;

    /// <param name="tls">The listener's certificate context; null for plain TCP.</param>
    public MqttBrokerConnection(MqttBroker broker, Socket socket, SslStreamCertificateContext? tls)
    {
        _broker = broker;
        _socket = socket;
        _tls = tls;
        LastActivityMs = Environment.TickCount64;
        Endpoint = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string Endpoint { get; }

    public MqttProtocolVersion Version { get; private set; } = MqttProtocolVersion.V311;

    public string ClientId { get; private set; } = "";

    public MqttPrincipal? Principal { get; private set; }

    public MqttBrokerSession? Session { get; private set; }

    /// <summary>
    /// Set by <see cref="MqttBroker.DisconnectClient"/> under the broker's sessions lock when the server ends this
    /// client while its login is still being checked; <see cref="MqttBroker.TakeSession"/> then refuses it a session,
    /// however the check ends.
    /// </summary>
    internal bool LoginRevoked { get; set; }

    public MqttWill? Will { get; private set; }

    public ushort KeepAliveSeconds { get; private set; }

    /// <summary>5.0 Maximum Packet Size the client announced: larger messages are not sent to it (5.0 section 3.1.2.11.4).</summary>
    public int MaxOutgoingPacketSize { get; private set; } = int.MaxValue;

    /// <summary>5.0 Receive Maximum the client announced, capped by the broker's in-flight limit.</summary>
    public int ReceiveMaximum { get; private set; } = int.MaxValue;

    public bool IsConnected => Session is not null;

    public long LastActivityMs { get; private set; }

    /// <summary>Set when another connection took the session over: no will is published for this one, and packets it still sends are ignored.</summary>
    public bool TakenOver
    {
        get => Volatile.Read(ref _takenOver);
        set => Volatile.Write(ref _takenOver, value);
    }

    /// <summary>Queues a frame; a client that lets more than <see cref="MqttBrokerOptions.MaxPendingBytesPerClient"/> pile up is disconnected.</summary>
    /// <remarks>Counts the bytes the frame puts on the wire, its shared payload included: the limit is about what this socket owes.</remarks>
    public bool Enqueue(MqttOutgoingFrame frame)
    {
        var pending = Interlocked.Add(ref _pendingBytes, frame.Length);

        // One frame on its own is always allowed, whatever its size (MaxPacketSize bounds it).
        if (pending > _broker.Options.MaxPendingBytesPerClient && pending != frame.Length)
        {
            Interlocked.Add(ref _pendingBytes, -frame.Length);
            if (Interlocked.Exchange(ref _slowConsumerClosed, 1) == 0)
            {
                _broker.Metrics.SlowConsumerDisconnect();
                _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint} ({ClientId}): over {_broker.Options.MaxPendingBytesPerClient} bytes waiting to be sent; disconnecting");
            }
            Abort();
            return false;
        }
        Interlocked.Increment(ref _pendingWrites);
        return _outgoing.TryWrite(frame);
    }

    /// <summary>Enqueues a QoS 0 frame unless the socket is already far behind (then it is dropped and counted).</summary>
    public bool EnqueueDroppable(MqttOutgoingFrame frame)
    {
        if (frame.Length > MaxOutgoingPacketSize)
        {
            // 5.0 section 3.1.2.11.4: discarded as if delivered.
            _broker.Metrics.OversizeDrop();
            return false;
        }
        if (Volatile.Read(ref _pendingWrites) >= _broker.Options.MaxPendingWritesPerClient
            || Interlocked.Read(ref _pendingBytes) + frame.Length > _broker.Options.MaxPendingBytesPerClient)
        {
            _broker.Metrics.SlowConsumerDrop();
            return false;
        }
        return Enqueue(frame);
    }

    public void Send(MqttPacket packet) => Enqueue(MqttOutgoingFrame.Encode(packet, Version));

    /// <summary>Sends what is queued (plus a 5.0 DISCONNECT with <paramref name="reason"/>), then closes.</summary>
    public void CloseAfterFlush(MqttReasonCode? reason)
    {
        if (reason is { } r && Version == MqttProtocolVersion.V500 && IsConnected)
        {
            Send(new MqttDisconnectPacket { ReasonCode = r });
        }
        _outgoing.Complete();
    }

    /// <summary>True once per connection: the housekeeping loop may see a closing connection again before it is removed.</summary>
    public bool TryMarkKeepAliveExpired() => Interlocked.Exchange(ref _keepAliveExpired, 1) == 0;

    /// <summary>Closes at once.</summary>
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

    public async Task RunAsync(CancellationToken brokerStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(brokerStopping, _cts.Token);
        var token = linked.Token;
        Stream? stream = null;
        Task? writer = null;
        MqttFrameReader? reader = null;
        try
        {
            stream = new NetworkStream(_socket, ownsSocket: true);
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                connectTimeout.CancelAfter(_broker.Options.ConnectTimeout);
                if (_tls is { } tls)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = ssl;
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = tls }, connectTimeout.Token).ConfigureAwait(false);
                    if (_broker.Options.ReleaseTlsBuffersWhenIdle)
                    {
                        // Before the reader and writer start: nothing else touches the SSL* now.
                        SslStreamBufferRelease.TryEnable(ssl);
                    }
                }
                // One reader for the whole connection: a client may pipeline packets right behind CONNECT.
                reader = new MqttFrameReader(stream, _broker.Options.MaxPacketSize, releaseBufferWhenIdle: true);
                MqttPacket? first;
                try
                {
                    first = await reader.ReadAsync(connectTimeout.Token).ConfigureAwait(false);
                }
                catch (MqttProtocolException e) when (e.Error == MqttDecodeError.UnsupportedProtocolVersion)
                {
                    // 3.1.1 section 3.1.2.2: answer an unsupported level with return code 1, then close.
                    await stream.WriteAsync(new byte[] { 0x20, 0x02, 0x00, (byte)MqttConnectReturnCode.UnacceptableProtocolVersion }, token).ConfigureAwait(false);
                    _broker.Metrics.MalformedPacket();
                    return;
                }
                if (first is not null)
                {
                    _broker.Metrics.PacketDecoded();
                }
                if (first is not MqttConnectPacket connect)
                {
                    _broker.Metrics.MalformedPacket();
                    _broker.LogLine(MqttBrokerLogLevel.Information, $"{Endpoint}: first packet was {first?.Type.ToString() ?? "EOF"}, not CONNECT");
                    return;
                }
                Version = connect.ProtocolVersion;
                reader.ProtocolVersion = Version;
                writer = WriteLoopAsync(stream, _tls is null ? int.MaxValue : TlsWriteChunkSize, token);
                if (!await HandleConnectAsync(connect, connectTimeout.Token).ConfigureAwait(false))
                {
                    _outgoing.Complete();
                    await writer.ConfigureAwait(false);
                    return;
                }
                // 3.1.1 section 3.1.2.10: the keepalive period runs from CONNECT, not from the TCP accept.
                LastActivityMs = Environment.TickCount64;
            }
            while (true)
            {
                var packet = await reader.ReadAsync(token).ConfigureAwait(false);
                if (packet is null)
                {
                    return;
                }
                LastActivityMs = Environment.TickCount64;
                _broker.Metrics.PacketDecoded();
                if (TakenOver)
                {
                    // 3.1.4: the session belongs to the new connection now; this one only drains and closes.
                    return;
                }
                if (!Handle(packet))
                {
                    return;
                }
            }
        }
        catch (MqttProtocolException e)
        {
            _broker.Metrics.MalformedPacket();
            _broker.LogLine(MqttBrokerLogLevel.Information, $"{Endpoint} ({ClientId}): {e.Message}; closing");
            if (Version == MqttProtocolVersion.V500 && IsConnected && writer is not null)
            {
                CloseAfterFlush(e.Error == MqttDecodeError.PacketTooLarge ? MqttReasonCode.PacketTooLarge : MqttReasonCode.MalformedPacket);
                await Task.WhenAny(writer, Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // Connection closed, timed out, or broker stopping.
        }
        catch (Exception e)
        {
            // A bug, not the peer's fault: keep the broker serving everyone else, and make it visible.
            _broker.Metrics.InternalError();
            _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint} ({ClientId}): unexpected {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _outgoing.Complete();
            Abort();
            if (writer is not null)
            {
                await writer.ConfigureAwait(false);
            }
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _socket.Dispose();
            }
            reader?.Dispose();
            _broker.OnConnectionClosed(this, _graceful);
            _cts.Dispose();
        }
    }

    private async Task<bool> HandleConnectAsync(MqttConnectPacket connect, CancellationToken cancellationToken)
    {
        var v5 = Version == MqttProtocolVersion.V500;
        var clientId = connect.ClientId;
        string? assigned = null;
        if (clientId.Length == 0)
        {
            if (!connect.CleanSession && !v5)
            {
                // 3.1.1 section 3.1.3.1: a zero-byte client id needs clean session.
                Send(new MqttConnAckPacket { ReasonCode = (byte)MqttConnectReturnCode.IdentifierRejected });
                return false;
            }
            clientId = assigned = "auto-" + Guid.NewGuid().ToString("N");
        }
        ClientId = clientId;
        var password = connect.Password is null ? null : Encoding.UTF8.GetString(connect.Password);
        var auth = await _broker.Authenticator.AuthenticateAsync(clientId, connect.UserName, password, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            _broker.Metrics.AuthenticationFailed();
            _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint}: authentication failed for client '{clientId}' user '{connect.UserName}': {auth.Reason}");
            Send(new MqttConnAckPacket { ReasonCode = v5 ? (byte)MqttReasonCode.BadUserNameOrPassword : (byte)MqttConnectReturnCode.BadUserNameOrPassword });
            return false;
        }
        Principal = auth.Principal!;
        if (connect.Will is { } will && !Principal.Acl.CanPublish(will.Topic))
        {
            _broker.Metrics.AclDenied();
            _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint}: '{Principal.Name}' may not publish its will to '{will.Topic}'");
            Send(new MqttConnAckPacket { ReasonCode = v5 ? (byte)MqttReasonCode.NotAuthorized : (byte)MqttConnectReturnCode.NotAuthorized });
            return false;
        }
        Will = connect.Will;
        KeepAliveSeconds = connect.KeepAliveSeconds;
        if (connect.Properties is { } cp)
        {
            MaxOutgoingPacketSize = cp.MaximumPacketSize is { } m ? (int)Math.Min(int.MaxValue, m) : int.MaxValue;
            ReceiveMaximum = cp.ReceiveMaximum ?? int.MaxValue;
        }
        var maxExpiry = (uint)Math.Min(uint.MaxValue - 1, _broker.Options.MaxSessionExpiry.TotalSeconds);
        var expiry = v5 ? Math.Min(connect.Properties?.SessionExpiryInterval ?? 0, maxExpiry) : connect.CleanSession ? 0 : maxExpiry;
        var sessionPresent = false;
        Session = _broker.TakeSession(this, clientId, connect.CleanSession, expiry, present =>
        {
            sessionPresent = present;
            var ack = new MqttConnAckPacket { SessionPresent = present };
            if (v5)
            {
                ack.Properties = new MqttProperties
                {
                    MaximumPacketSize = (uint)_broker.Options.MaxPacketSize,
                    MaximumQos = 1,
                    RetainAvailable = 1,
                    SharedSubscriptionAvailable = 0,
                    SubscriptionIdentifierAvailable = 0,
                    WildcardSubscriptionAvailable = 1,
                    AssignedClientIdentifier = assigned,
                    SessionExpiryInterval = connect.Properties?.SessionExpiryInterval is { } asked && asked > expiry ? expiry : null,
                };
            }
            Send(ack);
        });
        _broker.LogLine(MqttBrokerLogLevel.Debug, $"{Endpoint}: '{clientId}' connected as '{Principal.Name}' (v{(byte)Version}, session present {sessionPresent})");
        return true;
    }

    /// <summary>Handles one packet after CONNECT; false closes the connection.</summary>
    private bool Handle(MqttPacket packet)
    {
        var session = Session!;
        var now = Environment.TickCount64;
        switch (packet)
        {
            case MqttPublishPacket publish:
                return HandlePublish(session, publish, now);
            case MqttPubAckPacket ack:
                session.Acknowledge(ack.PacketId, now);
                return true;
            case MqttPubRelPacket rel:
                lock (session.Gate)
                {
                    session.AwaitingRelease.Remove(rel.PacketId);
                }
                Send(new MqttPubCompPacket { PacketId = rel.PacketId });
                return true;
            case MqttPubRecPacket or MqttPubCompPacket:
                // The broker sends at most QoS 1, so these answer nothing of ours.
                return true;
            case MqttSubscribePacket subscribe:
                HandleSubscribe(session, subscribe, now);
                return true;
            case MqttUnsubscribePacket unsubscribe:
                var codes = new List<byte>();
                foreach (var filter in unsubscribe.Filters)
                {
                    codes.Add(_broker.Unsubscribe(session, filter) ? (byte)MqttReasonCode.Success : (byte)MqttReasonCode.NoSubscriptionExisted);
                }
                Send(new MqttUnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = codes });
                return true;
            case MqttPingReqPacket:
                Send(MqttPingRespPacket.Instance);
                return true;
            case MqttDisconnectPacket disconnect:
                // 5.0 reason 0x04 "disconnect with will message" keeps the will.
                _graceful = disconnect.ReasonCode != (MqttReasonCode)0x04;
                return false;
            default:
                // A second CONNECT (3.1.1 section 3.1.0), AUTH, or a server-to-client packet: protocol violation.
                _broker.Metrics.MalformedPacket();
                _broker.LogLine(MqttBrokerLogLevel.Information, $"{Endpoint} ({ClientId}): unexpected {packet.Type}; closing");
                CloseAfterFlush(MqttReasonCode.ProtocolError);
                return false;
        }
    }

    private bool HandlePublish(MqttBrokerSession session, MqttPublishPacket publish, long now)
    {
        var v5 = Version == MqttProtocolVersion.V500;
        if (publish.Properties?.TopicAlias is not null)
        {
            // We announce topic alias maximum 0 (absent), so an alias is a protocol error (5.0 section 3.3.2.3.4).
            _broker.Metrics.MalformedPacket();
            CloseAfterFlush(MqttReasonCode.ProtocolError);
            return false;
        }
        if (!Principal!.Acl.CanPublish(publish.Topic))
        {
            _broker.Metrics.AclDenied();
            _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint}: '{Principal.Name}' may not publish to '{publish.Topic}'");
            if (v5 && publish.Qos == MqttQos.AtLeastOnce)
            {
                Send(new MqttPubAckPacket { PacketId = publish.PacketId, ReasonCode = MqttReasonCode.NotAuthorized });
                return true;
            }
            CloseAfterFlush(MqttReasonCode.NotAuthorized);
            return false;
        }
        _broker.Metrics.MessageReceived();
        var message = new MqttBrokerMessage(publish.Topic, publish.Payload, publish.Qos, publish.Retain, v5 ? publish.Properties : null, ClientId, now);
        switch (publish.Qos)
        {
            case MqttQos.AtMostOnce:
                _broker.Route(message, Principal.Name);
                break;
            case MqttQos.AtLeastOnce:
                // 5.0 can say why (Quota exceeded); 3.1.1 has no way to refuse a PUBLISH, so it just gets its PUBACK.
                var routed = _broker.Route(message, Principal.Name);
                Send(new MqttPubAckPacket { PacketId = publish.PacketId, ReasonCode = routed || !v5 ? MqttReasonCode.Success : MqttReasonCode.QuotaExceeded });
                break;
            default:
                bool first;
                lock (session.Gate)
                {
                    first = session.AwaitingRelease.Add(publish.PacketId);
                }
                if (first)
                {
                    _broker.Route(message, Principal.Name);
                }
                Send(new MqttPubRecPacket { PacketId = publish.PacketId });
                break;
        }
        return true;
    }

    private void HandleSubscribe(MqttBrokerSession session, MqttSubscribePacket subscribe, long now)
    {
        var v5 = Version == MqttProtocolVersion.V500;
        var codes = new List<byte>(subscribe.Filters.Count);
        var granted = new List<(MqttTopicFilter Filter, bool IsNew)>();
        foreach (var f in subscribe.Filters)
        {
            if (!Principal!.Acl.CanSubscribe(f.Filter))
            {
                _broker.Metrics.AclDenied();
                _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint}: '{Principal.Name}' may not subscribe to '{f.Filter}'");
                codes.Add(v5 ? (byte)MqttReasonCode.NotAuthorized : MqttSubAckPacket.Failure);
                continue;
            }
            if (f.Filter.StartsWith("$share/", StringComparison.Ordinal))
            {
                codes.Add(v5 ? (byte)0x9E : MqttSubAckPacket.Failure);
                continue;
            }
            var options = f with { Qos = f.Qos > MqttQos.AtLeastOnce ? MqttQos.AtLeastOnce : f.Qos };
            var result = _broker.Subscribe(session, options);
            if (result is null)
            {
                _broker.LogLine(MqttBrokerLogLevel.Warning, $"{Endpoint}: '{ClientId}' reached {_broker.Options.MaxSubscriptionsPerClient} subscriptions");
                codes.Add(v5 ? (byte)MqttReasonCode.QuotaExceeded : MqttSubAckPacket.Failure);
                continue;
            }
            codes.Add((byte)options.Qos);
            granted.Add((options, result.Value));
        }
        Send(new MqttSubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = codes });

        // 3.1.1 section 3.3.1.3: retained messages go to a new subscriber with the retain flag set.
        foreach (var (filter, isNew) in granted)
        {
            if (filter.RetainHandling == 2 || (filter.RetainHandling == 1 && !isNew))
            {
                continue;
            }
            foreach (var message in _broker.Retained.Match(filter.Filter, now))
            {
                var qos = message.Qos < filter.Qos ? message.Qos : filter.Qos;
                session.Deliver(message, qos, retainFlag: true, now);
            }
        }
    }

    private async Task WriteLoopAsync(Stream stream, int chunkSize, CancellationToken token)
    {
        var queue = _outgoing;
        using var batch = new MqttFrameBatchWriter(stream, WriteBatchSize, chunkSize);
        // Cancelled (closing at once): the queue drops what waits and the loop ends.
        using var cancelled = token.UnsafeRegister(static q => ((MqttOutgoingQueue)q!).Cancel(), queue);
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                // One wake-up: every queued frame gathered into TLS records and written (Writes: the fan-out's cost).
                var started = StageCounter.Start();
                while (queue.TryRead(out var frame))
                {
                    Interlocked.Decrement(ref _pendingWrites);
                    Interlocked.Add(ref _pendingBytes, -frame.Length);
                    await batch.AppendAsync(frame.Head, token).ConfigureAwait(false);
                    await batch.AppendAsync(frame.Payload, token).ConfigureAwait(false);
                }
                await batch.FlushAsync(token).ConfigureAwait(false);
                _broker.Metrics.Writes.Stop(started);
            }
            // Completed: everything queued is out; close so the peer sees EOF after our last packet.
            Abort();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Abort();
        }
    }
}
