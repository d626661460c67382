namespace Appliance.Mqtt.Formatter;

/// <summary>Outcome of decoding the front of a receive buffer.</summary>
public enum MqttDecodeStatus
{
    /// <summary>A whole packet was decoded.</summary>
    Complete,

    /// <summary>The buffer holds only part of a packet; read more bytes and retry.</summary>
    NeedMoreData,

    /// <summary>The bytes are not a valid packet; the connection must be closed.</summary>
    Malformed,
}
