namespace Appliance.Mqtt.Formatter;

/// <summary>Raised by a decode step and caught at the decoder's boundary, which turns it into <see cref="MqttDecodeStatus.Malformed"/>.</summary>
internal sealed class MqttMalformedPacketException : Exception
{
    public MqttMalformedPacketException(MqttDecodeError error)
        : base("malformed MQTT packet: " + error)
    {
        Error = error;
    }

    public MqttMalformedPacketException()
    {
    }

    public MqttMalformedPacketException(string message)
        : base(message)
    {
    }

    public MqttMalformedPacketException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MqttDecodeError Error { get; }
}
