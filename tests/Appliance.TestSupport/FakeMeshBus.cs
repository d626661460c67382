using System.Threading.Channels;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mqtt;

namespace Appliance.TestSupport;

/// <summary>An <see cref="IMeshBus"/> with no broker: records what is published and delivers what a test injects.</summary>
public sealed class FakeMeshBus : IMeshBus
{
    private readonly List<(string Filter, Action<MeshBusMessage> Handler)> _handlers = [];
    private readonly Channel<(string Topic, byte[] Payload, MqttQos Qos, bool Retain)> _published = Channel.CreateUnbounded<(string, byte[], MqttQos, bool)>();

    public bool Enabled => true;

    public string DeviceUrl => "mqtt://fake-bus.test:1883";

    public bool Started { get; private set; }

    public int HandlerCount
    {
        get
        {
            lock (_handlers)
            {
                return _handlers.Count;
            }
        }
    }

    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain = false, CancellationToken cancellationToken = default)
    {
        _published.Writer.TryWrite((topic, payload.ToArray(), qos, retain));
        return ValueTask.CompletedTask;
    }

    public IDisposable Subscribe(string filter, Action<MeshBusMessage> handler)
    {
        var entry = (filter, handler);
        lock (_handlers)
        {
            _handlers.Add(entry);
        }
        return new Unsubscriber(() =>
        {
            lock (_handlers)
            {
                _handlers.Remove(entry);
            }
        });
    }

    /// <summary>Delivers a message as the broker would: to every handler whose filter matches. Returns how many got it.</summary>
    public int Deliver(string topic, ReadOnlyMemory<byte> payload)
    {
        (string Filter, Action<MeshBusMessage> Handler)[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }
        var n = 0;
        foreach (var (filter, handler) in handlers.Where(h => MqttTopic.Matches(h.Filter, topic)))
        {
            handler(new MeshBusMessage(topic, payload));
            n++;
        }
        return n;
    }

    /// <summary>The next published message (waits up to 10 s).</summary>
    public async Task<(string Topic, byte[] Payload, MqttQos Qos, bool Retain)> NextPublishedAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _published.Reader.ReadAsync(cts.Token);
    }

    public bool TryTakePublished(out (string Topic, byte[] Payload, MqttQos Qos, bool Retain) message) => _published.Reader.TryRead(out message);

    /// <summary>Takes published messages until one on a node's command topic; false when none is queued.</summary>
    public bool TryTakeCommand(out string topic)
    {
        while (_published.Reader.TryRead(out var m))
        {
            if (m.Topic.EndsWith("/command", StringComparison.Ordinal))
            {
                topic = m.Topic;
                return true;
            }
        }
        topic = string.Empty;
        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Started = true;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
