namespace Appliance.Mqtt.Packets;

/// <summary>PINGREQ (3.1.1 section 3.12): keepalive probe, no variable header.</summary>
public sealed class MqttPingReqPacket : MqttPacket
{
    public static MqttPingReqPacket Instance { get; } = new();

    public override MqttPacketType Type => MqttPacketType.PingReq;
}
