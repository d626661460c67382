using Appliance.Mqtt.Packets;

namespace Appliance.Server.Mqtt;

/// <summary>
/// The MQTT broker the mesh protocol runs over, as the server sees it: publish to a topic, subscribe a filter with a
/// handler, start and stop. <see cref="EmbeddedMeshBus"/> calls the in-process broker; <see cref="ExternalMeshBus"/>
/// is the server's own client of an external Mosquitto or RabbitMQ cluster.
/// </summary>
public interface IMeshBus : IHostedService
{
    /// <summary>False when <c>Mqtt:Enabled=false</c>: nothing is published or received.</summary>
    bool Enabled { get; }

    /// <summary>The broker URL devices are given at join (null when disabled).</summary>
    string? DeviceUrl { get; }

    /// <summary>Every broker devices may use, <see cref="DeviceUrl"/> first (a cluster's nodes); null when disabled.</summary>
    IReadOnlyList<string>? DeviceUrls => DeviceUrl is { } url ? [url] : null;

    /// <summary>
    /// Hands a message to the broker. Completes when the bus has taken it (not when a subscriber has it); QoS 1 is
    /// redelivered across reconnects. Waits only when the bus holds too many unacknowledged messages.
    /// </summary>
    /// <remarks>
    /// The bus may keep <paramref name="payload"/> by reference (the embedded broker queues and retains it without a
    /// copy, to send one payload to thousands of nodes): the caller must never change those bytes after the call.
    /// </remarks>
    ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain = false, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="handler"/> for every message matching <paramref name="filter"/> until disposed.</summary>
    /// <remarks>The handler runs on the bus's thread: it must be quick and must not throw.</remarks>
    IDisposable Subscribe(string filter, Action<MeshBusMessage> handler);
}
