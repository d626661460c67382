namespace Appliance.Mqtt.Client;

/// <summary>The broker answered CONNECT with a refusal (3.1.1 return code or 5.0 reason code).</summary>
public sealed class MqttConnectException : Exception
{
    public MqttConnectException(byte reasonCode)
        : base($"MQTT broker refused the connection (code 0x{reasonCode:x2})")
    {
        ReasonCode = reasonCode;
    }

    public MqttConnectException()
    {
    }

    public MqttConnectException(string message)
        : base(message)
    {
    }

    public MqttConnectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public byte ReasonCode { get; }
}
