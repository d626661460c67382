namespace Appliance.Mqtt.Packets;

/// <summary>The last-will message carried in CONNECT and published by the server when the client vanishes.</summary>
public sealed class MqttWill
{
    public string Topic { get; set; } = "";
    public byte[] Payload { get; set; } = [];
    public MqttQos Qos { get; set; }
    public bool Retain { get; set; }

    /// <summary>MQTT 5.0 will properties (will delay, message expiry, ...).</summary>
    public MqttProperties? Properties { get; set; }
}
