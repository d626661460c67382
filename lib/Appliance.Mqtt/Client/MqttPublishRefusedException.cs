using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Client;

/// <summary>A 5.0 broker acknowledged a QoS 1 PUBLISH with a failure reason code (e.g. 0x87 not authorized).</summary>
public sealed class MqttPublishRefusedException : Exception
{
    public MqttPublishRefusedException(MqttReasonCode reasonCode)
        : base($"MQTT broker refused the message ({reasonCode})")
    {
        ReasonCode = reasonCode;
    }

    public MqttPublishRefusedException()
    {
    }

    public MqttPublishRefusedException(string message)
        : base(message)
    {
    }

    public MqttPublishRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MqttReasonCode ReasonCode { get; }
}
