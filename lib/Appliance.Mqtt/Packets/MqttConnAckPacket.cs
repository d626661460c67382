namespace Appliance.Mqtt.Packets;

/// <summary>CONNACK (3.1.1 section 3.2, 5.0 section 3.2). <see cref="ReasonCode"/> holds the 3.1.1 return code or the 5.0 reason code.</summary>
public sealed class MqttConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;

    public bool SessionPresent { get; set; }
    public byte ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}
