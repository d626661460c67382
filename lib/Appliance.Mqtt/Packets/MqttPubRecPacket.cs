namespace Appliance.Mqtt.Packets;

/// <summary>PUBREC (3.1.1 section 3.5).</summary>
public sealed class MqttPubRecPacket : MqttAcknowledgementPacket
{
    public override MqttPacketType Type => MqttPacketType.PubRec;
}
