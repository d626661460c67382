namespace Appliance.Mqtt.Packets;

/// <summary>AUTH (5.0 section 3.15): enhanced authentication exchange. Not valid in 3.1.1.</summary>
public sealed class MqttAuthPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Auth;

    public MqttReasonCode ReasonCode { get; set; }
    public MqttProperties? Properties { get; set; }
}
