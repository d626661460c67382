namespace Appliance.Mqtt.Packets;

/// <summary>SUBACK (3.1.1 section 3.9, 5.0 section 3.9). One code per filter: granted QoS, or 0x80 and above for failure.</summary>
public sealed class MqttSubAckPacket : MqttPacket
{
    /// <summary>The 3.1.1 failure return code.</summary>
    public const byte Failure = 0x80;

    public override MqttPacketType Type => MqttPacketType.SubAck;

    public ushort PacketId { get; set; }
    public List<byte> ReasonCodes { get; set; } = [];
    public MqttProperties? Properties { get; set; }
}
