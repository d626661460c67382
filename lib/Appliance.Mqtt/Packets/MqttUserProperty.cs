namespace Appliance.Mqtt.Packets;

/// <summary>An MQTT 5.0 user property (identifier 0x26): a UTF-8 string pair that may repeat.</summary>
public readonly record struct MqttUserProperty(string Name, string Value);
