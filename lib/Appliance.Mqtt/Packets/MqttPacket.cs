namespace Appliance.Mqtt.Packets;

/// <summary>Base of all MQTT control packets: plain data, encoded and decoded by the formatter.</summary>
public abstract class MqttPacket
{
    public abstract MqttPacketType Type { get; }
}
