namespace Appliance.Mqtt.Packets;

/// <summary>CONNECT (3.1.1 section 3.1, 5.0 section 3.1): the first packet a client sends.</summary>
public sealed class MqttConnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;

    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;
    public string ClientId { get; set; } = "";
    public bool CleanSession { get; set; } = true;
    public ushort KeepAliveSeconds { get; set; } = 60;
    public string? UserName { get; set; }
    public byte[]? Password { get; set; }
    public MqttWill? Will { get; set; }
    public MqttProperties? Properties { get; set; }
}
