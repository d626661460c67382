namespace Appliance.Mqtt.Packets;

/// <summary>PUBLISH (3.1.1 section 3.3, 5.0 section 3.3).</summary>
public sealed class MqttPublishPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;

    public string Topic { get; set; } = "";
    public ReadOnlyMemory<byte> Payload { get; set; }
    public MqttQos Qos { get; set; }
    public bool Retain { get; set; }
    public bool Duplicate { get; set; }

    /// <summary>Present only when <see cref="Qos"/> is above 0; never 0 then.</summary>
    public ushort PacketId { get; set; }
    public MqttProperties? Properties { get; set; }
}
