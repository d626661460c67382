namespace Appliance.Mqtt.Packets;

/// <summary>UNSUBACK (3.1.1 section 3.11; 5.0 section 3.11 adds reason codes and properties).</summary>
public sealed class MqttUnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;

    public ushort PacketId { get; set; }

    /// <summary>MQTT 5.0 only; ignored when encoding 3.1.1.</summary>
    public List<byte> ReasonCodes { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}
