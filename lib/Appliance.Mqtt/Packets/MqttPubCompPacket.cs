namespace Appliance.Mqtt.Packets;

/// <summary>PUBCOMP (3.1.1 section 3.7).</summary>
public sealed class MqttPubCompPacket : MqttAcknowledgementPacket
{
    public override MqttPacketType Type => MqttPacketType.PubComp;
}
