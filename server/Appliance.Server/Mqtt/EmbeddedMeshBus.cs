using Appliance.Mqtt.Packets;

namespace Appliance.Server.Mqtt;

/// <summary>The mesh bus over the embedded broker: in-process publish and subscribe, no socket.</summary>
public sealed class EmbeddedMeshBus(BrokerHost host) : IMeshBus
{
    public bool Enabled => host.Enabled;

    public string? DeviceUrl => host.PublicUrl;

    /// <summary>Hands the payload to the broker by reference (no copy): see <see cref="IMeshBus.PublishAsync"/>.</summary>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain = false, CancellationToken cancellationToken = default)
    {
        host.Broker.PublishShared(topic, payload, qos, retain);
        return ValueTask.CompletedTask;
    }

    public IDisposable Subscribe(string filter, Action<MeshBusMessage> handler) =>
        host.Broker.Subscribe(filter, m => handler(new MeshBusMessage(m.Topic, m.Payload)));

    public Task StartAsync(CancellationToken cancellationToken) => host.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => host.StopAsync(cancellationToken);
}
