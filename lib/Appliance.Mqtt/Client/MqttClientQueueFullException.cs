namespace Appliance.Mqtt.Client;

/// <summary>Too many QoS 1 messages await acknowledgement; the caller should slow down rather than block.</summary>
public sealed class MqttClientQueueFullException : Exception
{
    public MqttClientQueueFullException()
        : base("too many unacknowledged QoS 1 messages")
    {
    }

    public MqttClientQueueFullException(string message)
        : base(message)
    {
    }

    public MqttClientQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
