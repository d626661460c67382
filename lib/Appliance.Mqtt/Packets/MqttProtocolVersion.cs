namespace Appliance.Mqtt.Packets;

/// <summary>The protocol level byte carried in CONNECT.</summary>
public enum MqttProtocolVersion : byte
{
    V311 = 4,
    V500 = 5,
}
