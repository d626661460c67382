using System.Text;
using Appliance.Mqtt.Packets;

namespace Appliance.TestSupport;

/// <summary>One message a <see cref="FakeMqttClient"/> was asked to publish.</summary>
public sealed record FakeMqttPublish(string Topic, byte[] Payload, MqttQos Qos, bool Retain)
{
    public string Text => Encoding.UTF8.GetString(Payload);
}
