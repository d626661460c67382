namespace Appliance.Mqtt.Packets;

/// <summary>MQTT control packet types (3.1.1 section 2.2.1, 5.0 section 2.1.2); the value is the high nibble of byte 1.</summary>
public enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,

    /// <summary>MQTT 5.0 only.</summary>
    Auth = 15,
}
