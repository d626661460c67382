namespace Appliance.Mqtt.Packets;

/// <summary>UNSUBSCRIBE (3.1.1 section 3.10, 5.0 section 3.10).</summary>
public sealed class MqttUnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;

    public ushort PacketId { get; set; }
    public List<string> Filters { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}
