using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>A message handed to an in-process subscriber (<see cref="MqttBroker.Subscribe"/>).</summary>
/// <param name="PublisherClientId">The publishing client's id; null for <see cref="MqttBroker.Publish"/>.</param>
public sealed record MqttBrokerInboundMessage(string Topic, ReadOnlyMemory<byte> Payload, MqttQos Qos, string? PublisherClientId, MqttProperties? Properties);
