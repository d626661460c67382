namespace Appliance.Mqtt.Packets;

/// <summary>PUBACK (3.1.1 section 3.4).</summary>
public sealed class MqttPubAckPacket : MqttAcknowledgementPacket
{
    public override MqttPacketType Type => MqttPacketType.PubAck;
}
