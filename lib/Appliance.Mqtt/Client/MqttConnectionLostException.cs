namespace Appliance.Mqtt.Client;

/// <summary>The connection closed before the broker answered a SUBSCRIBE or UNSUBSCRIBE (the subscription is still renewed on reconnect).</summary>
public sealed class MqttConnectionLostException : Exception
{
    public MqttConnectionLostException()
        : base("MQTT connection lost")
    {
    }

    public MqttConnectionLostException(string message)
        : base(message)
    {
    }

    public MqttConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
