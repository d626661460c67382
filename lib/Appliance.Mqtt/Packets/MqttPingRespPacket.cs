namespace Appliance.Mqtt.Packets;

/// <summary>PINGRESP (3.1.1 section 3.13): keepalive answer, no variable header.</summary>
public sealed class MqttPingRespPacket : MqttPacket
{
    public static MqttPingRespPacket Instance { get; } = new();

    public override MqttPacketType Type => MqttPacketType.PingResp;
}
