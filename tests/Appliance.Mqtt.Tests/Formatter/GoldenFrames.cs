using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Tests.Formatter;

/// <summary>The golden corpus: one or more frames per packet type, each annotated with what it means.</summary>
public static class GoldenFrames
{
    public sealed record Frame(string Name, MqttProtocolVersion Version, string Hex, Func<MqttPacket> Build);

    private static readonly byte[] Hi = "hi"u8.ToArray();

    public static IReadOnlyList<Frame> All { get; } =
    [
        // CONNECT 3.1.1: "MQTT" level 4, clean session, keepalive 60, client id "c1"
        new("connect 3.1.1 minimal", MqttProtocolVersion.V311, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31",
            () => new MqttConnectPacket { ClientId = "c1", KeepAliveSeconds = 60 }),

        // CONNECT 3.1.1 flags ee = user, password, will retain, will QoS 1, will, clean; keepalive 10; id "c"; will "w"="x"; user "u"; password "p"
        new("connect 3.1.1 will user password", MqttProtocolVersion.V311,
            "10 19 00 04 4d 51 54 54 04 ee 00 0a 00 01 63 00 01 77 00 01 78 00 01 75 00 01 70",
            () => new MqttConnectPacket
            {
                ClientId = "c", KeepAliveSeconds = 10, UserName = "u", Password = "p"u8.ToArray(),
                Will = new MqttWill { Topic = "w", Payload = "x"u8.ToArray(), Qos = MqttQos.AtLeastOnce, Retain = true },
            }),

        // CONNECT 5.0: level 5, clean start, keepalive 60, properties { session expiry (0x11) = 3600 }, id "c1"
        new("connect 5.0 session expiry", MqttProtocolVersion.V500, "10 14 00 04 4d 51 54 54 05 02 00 3c 05 11 00 00 0e 10 00 02 63 31",
            () => new MqttConnectPacket
            {
                ProtocolVersion = MqttProtocolVersion.V500, ClientId = "c1", KeepAliveSeconds = 60,
                Properties = new MqttProperties { SessionExpiryInterval = 3600 },
            }),

        // CONNACK 3.1.1: session present, accepted
        new("connack 3.1.1 session present", MqttProtocolVersion.V311, "20 02 01 00",
            () => new MqttConnAckPacket { SessionPresent = true }),

        // CONNACK 3.1.1: return code 5 not authorized
        new("connack 3.1.1 not authorized", MqttProtocolVersion.V311, "20 02 00 05",
            () => new MqttConnAckPacket { ReasonCode = (byte)MqttConnectReturnCode.NotAuthorized }),

        // CONNACK 5.0: reason 0x86 bad user name or password, properties { reason string "no" }
        new("connack 5.0 bad credentials", MqttProtocolVersion.V500, "20 08 00 86 05 1f 00 02 6e 6f",
            () => new MqttConnAckPacket { ReasonCode = 0x86, Properties = new MqttProperties { ReasonString = "no" } }),

        // PUBLISH QoS 0 topic "a/b" payload "hi"
        new("publish qos0", MqttProtocolVersion.V311, "30 07 00 03 61 2f 62 68 69",
            () => new MqttPublishPacket { Topic = "a/b", Payload = Hi }),

        // PUBLISH flags b = DUP, QoS 1, RETAIN; topic "a/b", packet id 10, payload "hi"
        new("publish qos1 dup retain", MqttProtocolVersion.V311, "3b 09 00 03 61 2f 62 00 0a 68 69",
            () => new MqttPublishPacket { Topic = "a/b", Payload = Hi, Qos = MqttQos.AtLeastOnce, Duplicate = true, Retain = true, PacketId = 10 }),

        // PUBLISH 5.0 QoS 1 id 1, properties { message expiry (0x02) = 60, user property (0x26) "k"="v" }, payload "hi"
        new("publish 5.0 expiry user property", MqttProtocolVersion.V500,
            "32 16 00 03 61 2f 62 00 01 0c 02 00 00 00 3c 26 00 01 6b 00 01 76 68 69",
            () => new MqttPublishPacket
            {
                Topic = "a/b", Payload = Hi, Qos = MqttQos.AtLeastOnce, PacketId = 1,
                Properties = new MqttProperties { MessageExpiryInterval = 60, UserProperties = [new("k", "v")] },
            }),

        // PUBACK id 123 (the MQTTnet example "QAIAew==")
        new("puback", MqttProtocolVersion.V311, "40 02 00 7b", () => new MqttPubAckPacket { PacketId = 123 }),

        // PUBACK 5.0 id 10 reason 0x10 no matching subscribers
        new("puback 5.0 no subscribers", MqttProtocolVersion.V500, "40 03 00 0a 10",
            () => new MqttPubAckPacket { PacketId = 10, ReasonCode = MqttReasonCode.NoMatchingSubscribers }),

        // PUBREC / PUBREL (flags 0010) / PUBCOMP id 10
        new("pubrec", MqttProtocolVersion.V311, "50 02 00 0a", () => new MqttPubRecPacket { PacketId = 10 }),
        new("pubrel", MqttProtocolVersion.V311, "62 02 00 0a", () => new MqttPubRelPacket { PacketId = 10 }),
        new("pubcomp", MqttProtocolVersion.V311, "70 02 00 0a", () => new MqttPubCompPacket { PacketId = 10 }),

        // SUBSCRIBE (flags 0010) id 1: "a/+" QoS 1, "#" QoS 0
        new("subscribe 3.1.1 two filters", MqttProtocolVersion.V311, "82 0c 00 01 00 03 61 2f 2b 01 00 01 23 00",
            () => new MqttSubscribePacket { PacketId = 1, Filters = [new("a/+", MqttQos.AtLeastOnce), new("#", MqttQos.AtMostOnce)] }),

        // SUBSCRIBE 5.0 id 2, no properties, "a/b" options 2d = retain handling 2, RAP, NL, QoS 1
        new("subscribe 5.0 options", MqttProtocolVersion.V500, "82 09 00 02 00 00 03 61 2f 62 2d",
            () => new MqttSubscribePacket
            {
                PacketId = 2,
                Filters = [new("a/b", MqttQos.AtLeastOnce) { NoLocal = true, RetainAsPublished = true, RetainHandling = 2 }],
            }),

        // SUBACK id 1: granted QoS 1, failure 0x80
        new("suback", MqttProtocolVersion.V311, "90 04 00 01 01 80", () => new MqttSubAckPacket { PacketId = 1, ReasonCodes = [1, 0x80] }),

        // SUBACK 5.0 id 1, no properties, 0x87 not authorized
        new("suback 5.0 not authorized", MqttProtocolVersion.V500, "90 04 00 01 00 87",
            () => new MqttSubAckPacket { PacketId = 1, ReasonCodes = [0x87] }),

        // UNSUBSCRIBE (flags 0010) id 2 "a/b"
        new("unsubscribe", MqttProtocolVersion.V311, "a2 07 00 02 00 03 61 2f 62",
            () => new MqttUnsubscribePacket { PacketId = 2, Filters = ["a/b"] }),

        // UNSUBACK id 2; 5.0 adds empty properties and one reason code 0 success
        new("unsuback", MqttProtocolVersion.V311, "b0 02 00 02", () => new MqttUnsubAckPacket { PacketId = 2 }),
        new("unsuback 5.0", MqttProtocolVersion.V500, "b0 04 00 02 00 00", () => new MqttUnsubAckPacket { PacketId = 2, ReasonCodes = [0] }),

        new("pingreq", MqttProtocolVersion.V311, "c0 00", () => MqttPingReqPacket.Instance),
        new("pingresp", MqttProtocolVersion.V311, "d0 00", () => MqttPingRespPacket.Instance),
        new("disconnect", MqttProtocolVersion.V311, "e0 00", () => new MqttDisconnectPacket()),

        // DISCONNECT 5.0 reason 0x8e session taken over
        new("disconnect 5.0 taken over", MqttProtocolVersion.V500, "e0 01 8e",
            () => new MqttDisconnectPacket { ReasonCode = MqttReasonCode.SessionTakenOver }),

        // AUTH 5.0 reason 0x18 continue authentication, properties { authentication method (0x15) "m" }
        new("auth 5.0 continue", MqttProtocolVersion.V500, "f0 06 18 04 15 00 01 6d",
            () => new MqttAuthPacket { ReasonCode = (MqttReasonCode)0x18, Properties = new MqttProperties { AuthenticationMethod = "m" } }),
    ];
}
