namespace Appliance.Mqtt.Packets;

/// <summary>DISCONNECT (3.1.1 section 3.14: empty; 5.0 section 3.14: optional reason code and properties, sent by either side).</summary>
public sealed class MqttDisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;

    public MqttReasonCode ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}
