namespace Appliance.Mqtt.Packets;

/// <summary>PUBREL (3.1.1 section 3.6).</summary>
public sealed class MqttPubRelPacket : MqttAcknowledgementPacket
{
    public override MqttPacketType Type => MqttPacketType.PubRel;
}
