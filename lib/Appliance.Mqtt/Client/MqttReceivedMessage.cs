using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Client;

/// <summary>An application message the client received on one of its subscriptions.</summary>
public sealed record MqttReceivedMessage(string Topic, ReadOnlyMemory<byte> Payload, MqttQos Qos, bool Retain, MqttProperties? Properties);
