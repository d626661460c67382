namespace Appliance.Mqtt.Packets;

/// <summary>
/// Shape shared by PUBACK, PUBREC, PUBREL and PUBCOMP: a packet identifier, and in 5.0 an optional reason code
/// and properties (5.0 section 3.4.2.1: both may be omitted when the reason is Success and there are no properties).
/// </summary>
public abstract class MqttAcknowledgementPacket : MqttPacket
{
    public ushort PacketId { get; set; }
    public MqttReasonCode ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}
