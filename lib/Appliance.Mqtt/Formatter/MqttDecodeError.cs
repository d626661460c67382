namespace Appliance.Mqtt.Formatter;

/// <summary>Why a byte sequence is not a valid MQTT packet.</summary>
public enum MqttDecodeError
{
    None = 0,

    /// <summary>The remaining length (or another variable byte integer) uses more than 4 bytes.</summary>
    MalformedVariableInteger,

    /// <summary>The packet is larger than the negotiated maximum packet size.</summary>
    PacketTooLarge,

    /// <summary>Fixed-header flag bits that the spec reserves have the wrong value.</summary>
    ReservedFlags,

    /// <summary>Packet type 0, or AUTH on a 3.1.1 connection.</summary>
    UnknownPacketType,

    /// <summary>A field runs past the end of the packet.</summary>
    Truncated,

    /// <summary>Bytes are left over after the last field.</summary>
    TrailingBytes,

    /// <summary>A string is not well-formed UTF-8 or contains U+0000.</summary>
    InvalidUtf8,

    /// <summary>A topic name contains wildcards or is empty; or a topic filter misuses '+' or '#'.</summary>
    InvalidTopic,

    /// <summary>QoS 3, or DUP set on QoS 0.</summary>
    InvalidQos,

    /// <summary>An unknown, repeated or out-of-range MQTT 5.0 property.</summary>
    MalformedProperties,

    /// <summary>CONNECT with a protocol name other than "MQTT".</summary>
    ProtocolNameMismatch,

    /// <summary>CONNECT with a protocol level other than 4 or 5.</summary>
    UnsupportedProtocolVersion,

    /// <summary>CONNECT flags break 3.1.1 section 3.1.2 rules.</summary>
    InvalidConnectFlags,

    /// <summary>SUBSCRIBE or UNSUBSCRIBE with no topic filter.</summary>
    EmptySubscription,

    /// <summary>A packet identifier of 0 where one is required.</summary>
    InvalidPacketId,

    /// <summary>Subscription options or other field values outside their defined range.</summary>
    InvalidFieldValue,
}
