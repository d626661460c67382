using Appliance.Mqtt.Formatter;

namespace Appliance.Mqtt.Transport;

/// <summary>The peer sent bytes that are not a valid MQTT packet; the connection must be closed.</summary>
public sealed class MqttProtocolException : Exception
{
    public MqttProtocolException(MqttDecodeError error)
        : base("malformed MQTT packet: " + error)
    {
        Error = error;
    }

    public MqttProtocolException()
    {
    }

    public MqttProtocolException(string message)
        : base(message)
    {
    }

    public MqttProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MqttDecodeError Error { get; }
}
