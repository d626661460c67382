using Appliance.Mqtt.Client;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Server.Mqtt;

/// <summary>
/// The mesh bus over an external broker (Mosquitto, or the nodes of a RabbitMQ cluster): the server's own client (its
/// own account, a persistent session, QoS 1, reconnect with backoff and to the next broker of a cluster, every filter
/// subscribed again on each connect). Start first reconciles the broker's accounts with the store, so the server's own
/// login exists before it connects.
/// </summary>
public sealed class ExternalMeshBus : IMeshBus, IAsyncDisposable
{
    /// <summary>QoS 1 messages handed to the client and not yet acknowledged; publishing waits beyond it.</summary>
    public const int MaxUnacknowledged = 10_000;

    private readonly ExternalBrokerEndpoints _endpoints;
    private readonly IExternalBrokerAccounts _accounts;
    private readonly ILogger<ExternalMeshBus> _logger;
    private readonly List<Handler> _handlers = [];
    private readonly SemaphoreSlim _window = new(MaxUnacknowledged, MaxUnacknowledged);
    private readonly CancellationTokenSource _lifetime = new();
    private MqttClient? _client;
    private Task _connecting = Task.CompletedTask;
    private Task _dispatching = Task.CompletedTask;
    private int _stopped;
    private long _publishFailures;
    private long _connects;

    public ExternalMeshBus(ExternalBrokerEndpoints endpoints, IExternalBrokerAccounts accounts, ILogger<ExternalMeshBus> logger)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Urls.Count, nameof(endpoints));
        _endpoints = endpoints;
        _accounts = accounts;
        _logger = logger;
    }

    private sealed record Handler(string Filter, Action<MeshBusMessage> Callback);

    public bool Enabled => true;

    /// <summary>The first of <see cref="DeviceUrls"/>.</summary>
    public string DeviceUrl => _endpoints.DeviceUrls[0];

    /// <summary>Every broker devices may use, in order.</summary>
    public IReadOnlyList<string> DeviceUrls => _endpoints.DeviceUrls;

    public bool IsConnected => _client?.IsConnected ?? false;

    /// <summary>How many times the server's client has connected (the first connect and every reconnect).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>QoS 1 publishes that failed for good (the client was stopped before the broker acknowledged them).</summary>
    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _accounts.ReconcileAsync(cancellationToken);
        var url = _endpoints.Urls[0];
        var name = _accounts.BrokerName;
        var client = new MqttClient(new MqttClientOptions
        {
            Host = url.Host.Trim('[', ']'),
            Port = url.Port,
            FailoverBrokers = [.. _endpoints.Urls.Skip(1).Select(u => new MqttBrokerAddress(u.Host.Trim('[', ']'), u.Port))],
            // No fixed target host: each broker's certificate is checked against the host it is reached at.
            Tls = url.Scheme == "mqtts"
                ? new MqttTlsOptions { TrustedRoots = _endpoints.CaFile is { } ca ? MqttSettings.LoadCaFile(ca) : null }
                : null,
            ClientId = _accounts.ServerClientId,
            UserName = _accounts.ServerUser,
            Password = _accounts.ServerPassword,
            // Reports sent while the server is away wait in the broker for it.
            CleanSession = false,
            KeepAliveSeconds = 30,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(10),
            MaxInflight = MaxUnacknowledged + 1,
            IncomingCapacity = 10_000,
        });
        client.ConnectionChanged += up =>
        {
            if (up)
            {
                Interlocked.Increment(ref _connects);
                _logger.LogInformation("connected to {Broker} as {User}", name, _accounts.ServerUser);
                _ = SubscribeAsync(Filters());
            }
            else
            {
                _logger.LogWarning("lost the connection to {Broker}; reconnecting", name);
            }
        };
        _client = client;
        _connecting = ConnectAsync(client, _lifetime.Token);
        _dispatching = DispatchAsync(client, _lifetime.Token);
    }

    // The first connection is retried here (the broker may be starting or still reloading the accounts);
    // after it the client reconnects by itself.
    private async Task ConnectAsync(MqttClient client, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.ConnectAsync(ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var level = attempt < 5 ? LogLevel.Debug : LogLevel.Warning;
                _logger.Log(level, "cannot connect to {Broker} at {Urls} (attempt {Attempt}): {Error}", _accounts.BrokerName, string.Join(", ", _endpoints.Urls), attempt, e.Message);
            }
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    private async Task DispatchAsync(MqttClient client, CancellationToken ct)
    {
        try
        {
            await foreach (var m in client.Messages.ReadAllAsync(ct))
            {
                Handler[] handlers;
                lock (_handlers)
                {
                    handlers = [.. _handlers];
                }
                var message = new MeshBusMessage(m.Topic, m.Payload);
                foreach (var h in handlers)
                {
                    if (MqttTopic.Matches(h.Filter, m.Topic))
                    {
                        try
                        {
                            h.Callback(message);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            _logger.LogError(e, "handler of {Filter} failed on a message on {Topic}", h.Filter, m.Topic);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain = false, CancellationToken cancellationToken = default)
    {
        var client = _client ?? throw new InvalidOperationException("the external broker's bus is not started");
        await _window.WaitAsync(cancellationToken);
        ValueTask acknowledged;
        try
        {
            acknowledged = client.PublishAsync(topic, payload, qos, retain);
        }
        catch
        {
            _window.Release();
            throw;
        }
        _ = AwaitAcknowledgementAsync(acknowledged, topic);
    }

    private async Task AwaitAcknowledgementAsync(ValueTask acknowledged, string topic)
    {
        try
        {
            await acknowledged;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _publishFailures);
            _logger.LogWarning("publish to {Topic} was not acknowledged by {Broker}: {Error}", topic, _accounts.BrokerName, e.Message);
        }
        finally
        {
            _window.Release();
        }
    }

    public IDisposable Subscribe(string filter, Action<MeshBusMessage> handler)
    {
        if (!MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException("invalid MQTT topic filter: " + filter, nameof(filter));
        }
        var entry = new Handler(filter, handler);
        lock (_handlers)
        {
            _handlers.Add(entry);
        }
        if (IsConnected)
        {
            _ = SubscribeAsync([filter]);
        }
        return new Unsubscriber(this, entry);
    }

    private string[] Filters()
    {
        lock (_handlers)
        {
            return [.. _handlers.Select(h => h.Filter).Distinct(StringComparer.Ordinal)];
        }
    }

    // SUBSCRIBE is idempotent, so every connect sends all filters: a persistent session that lost one
    // (or one added while offline) is repaired.
    private async Task SubscribeAsync(string[] filters)
    {
        if (filters.Length == 0 || _client is not { } client)
        {
            return;
        }
        try
        {
            var codes = await client.SubscribeAsync([.. filters.Select(f => new MqttTopicFilter(f, MqttQos.AtLeastOnce))]);
            for (var i = 0; i < codes.Count && i < filters.Length; i++)
            {
                if (codes[i] >= 0x80)
                {
                    _logger.LogError("{Broker} refused the subscription {Filter} (code 0x{Code:x2}); check the server's ACL", _accounts.BrokerName, filters[i], codes[i]);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Lost the connection meanwhile: the next connect subscribes again.
            _logger.LogDebug("subscribing to {Filters} failed: {Error}", string.Join(", ", filters), e.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        await _lifetime.CancelAsync();
        await _connecting;
        if (_client is { } client)
        {
            if (client.IsConnected)
            {
                try
                {
                    await client.DisconnectAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _logger.LogDebug("disconnecting from {Broker}: {Error}", _accounts.BrokerName, e.Message);
                }
            }
            await client.DisposeAsync();
        }
        await _dispatching;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _lifetime.Dispose();
    }

    private sealed class Unsubscriber(ExternalMeshBus bus, Handler entry) : IDisposable
    {
        public void Dispose()
        {
            lock (bus._handlers)
            {
                bus._handlers.Remove(entry);
            }
        }
    }
}
