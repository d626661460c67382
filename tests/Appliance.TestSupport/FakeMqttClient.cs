using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.Channels;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.TestSupport;

/// <summary>
/// An MQTT client with the broker played by the test: records connects, subscriptions and publishes; the test
/// delivers messages (to matching subscriptions only, as a broker would) and drops or restores the connection.
/// </summary>
public sealed class FakeMqttClient : IMqttClient
{
    private readonly FakeMqttClientFactory _factory;
    private readonly Channel<MqttReceivedMessage> _incoming = Channel.CreateUnbounded<MqttReceivedMessage>();
    private readonly ConcurrentQueue<string> _subscriptions = new();
    private readonly ConcurrentQueue<FakeMqttPublish> _published = new();
    private int _connectAttempts;
    private volatile bool _connected;

    internal FakeMqttClient(MqttClientOptions options, FakeMqttClientFactory factory)
    {
        Options = options;
        _factory = factory;
    }

    /// <summary>The options the client was made with (host, credentials, TLS).</summary>
    public MqttClientOptions Options { get; }

    public ChannelReader<MqttReceivedMessage> Messages => _incoming.Reader;

    public bool IsConnected => _connected;

    public event Action<bool>? ConnectionChanged;

    public int ConnectAttempts => Volatile.Read(ref _connectAttempts);

    public IReadOnlyList<string> Subscriptions => [.. _subscriptions];

    public IReadOnlyList<FakeMqttPublish> Published => [.. _published];

    public bool Disposed { get; private set; }

    public Task<bool> ConnectAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _connectAttempts);
        if (!_factory.Reachable)
        {
            return Task.FromException<bool>(new SocketException((int)SocketError.ConnectionRefused));
        }
        Restore();
        return Task.FromResult(false);
    }

    public Task<IReadOnlyList<byte>> SubscribeAsync(string filter, MqttQos qos = MqttQos.AtLeastOnce, CancellationToken cancellationToken = default)
    {
        if (_factory.RefusedFilters.Contains(filter))
        {
            // SUBACK return code 0x80: the broker's ACL does not allow the filter; nothing is delivered for it.
            return Task.FromResult<IReadOnlyList<byte>>([0x80]);
        }
        _subscriptions.Enqueue(filter);
        return Task.FromResult<IReadOnlyList<byte>>([(byte)qos]);
    }

    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        _published.Enqueue(new FakeMqttPublish(topic, payload.ToArray(), qos, retain));
        return ValueTask.CompletedTask;
    }

    /// <summary>What the broker would deliver: true when a subscription matches <paramref name="topic"/>.</summary>
    public bool Deliver(string topic, byte[] payload, MqttQos qos = MqttQos.AtLeastOnce)
    {
        if (!_subscriptions.Any(f => MqttTopic.Matches(f, topic)))
        {
            return false;
        }
        return _incoming.Writer.TryWrite(new MqttReceivedMessage(topic, payload, qos, false, null));
    }

    /// <summary>The connection is lost (the client would reconnect by itself).</summary>
    public void Drop()
    {
        _connected = false;
        ConnectionChanged?.Invoke(false);
    }

    /// <summary>The connection is (back) up, as after the client's own reconnect.</summary>
    public void Restore()
    {
        _connected = true;
        ConnectionChanged?.Invoke(true);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _connected = false;
        _incoming.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
