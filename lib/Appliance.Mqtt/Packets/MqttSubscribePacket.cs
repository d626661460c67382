namespace Appliance.Mqtt.Packets;

/// <summary>SUBSCRIBE (3.1.1 section 3.8, 5.0 section 3.8).</summary>
public sealed class MqttSubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;

    public ushort PacketId { get; set; }
    public List<MqttTopicFilter> Filters { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}
