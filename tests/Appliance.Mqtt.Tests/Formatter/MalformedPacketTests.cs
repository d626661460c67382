using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

public sealed class MalformedPacketTests
{
    private const MqttProtocolVersion V3 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;

    public static TheoryData<string, MqttProtocolVersion, string, MqttDecodeError> Rows() => new()
    {
        { "remaining length with a 5th byte", V3, "30 ff ff ff ff 01", MqttDecodeError.MalformedVariableInteger },
        { "remaining length 0 in two bytes (80 00, not minimal)", V3, "c0 80 00", MqttDecodeError.MalformedVariableInteger },
        { "remaining length 127 in two bytes (ff 00, not minimal)", V3, "30 ff 00", MqttDecodeError.MalformedVariableInteger },
        { "5.0 property length 0 in two bytes (80 00, not minimal)", V5, "30 07 00 03 61 2f 62 80 00", MqttDecodeError.MalformedVariableInteger },
        { "remaining length past maximum size", V3, "30 ff ff ff 7f", MqttDecodeError.PacketTooLarge },
        { "oversize publish (max 64)", V3, "30 7f 00 03 61 2f 62", MqttDecodeError.PacketTooLarge },
        { "packet type 0 reserved", V3, "00 00", MqttDecodeError.UnknownPacketType },
        { "AUTH on a 3.1.1 connection", V3, "f0 00", MqttDecodeError.UnknownPacketType },
        { "PUBREL without flags 0010", V3, "60 02 00 01", MqttDecodeError.ReservedFlags },
        { "SUBSCRIBE without flags 0010", V3, "80 06 00 01 00 01 61 00", MqttDecodeError.ReservedFlags },
        { "UNSUBSCRIBE without flags 0010", V3, "a0 05 00 01 00 01 61", MqttDecodeError.ReservedFlags },
        { "PINGREQ with flag bit", V3, "c1 00", MqttDecodeError.ReservedFlags },
        { "CONNACK reserved ack flag", V3, "20 02 02 00", MqttDecodeError.ReservedFlags },
        { "PUBLISH QoS 3", V3, "36 07 00 03 61 2f 62 00 01", MqttDecodeError.InvalidQos },
        { "PUBLISH DUP on QoS 0", V3, "38 05 00 03 61 2f 62", MqttDecodeError.InvalidQos },
        { "topic string longer than packet", V3, "30 03 00 05 61", MqttDecodeError.Truncated },
        { "topic length prefix cut", V3, "30 01 00", MqttDecodeError.Truncated },
        { "QoS 1 publish without packet id", V3, "32 05 00 03 61 2f 62", MqttDecodeError.Truncated },
        { "PUBLISH topic with +", V3, "30 05 00 03 61 2f 2b", MqttDecodeError.InvalidTopic },
        { "PUBLISH topic with #", V3, "30 05 00 03 61 2f 23", MqttDecodeError.InvalidTopic },
        { "PUBLISH empty topic", V3, "30 02 00 00", MqttDecodeError.InvalidTopic },
        { "PUBLISH NUL in topic", V3, "30 05 00 03 61 00 62", MqttDecodeError.InvalidUtf8 },
        { "PUBLISH invalid UTF-8 byte", V3, "30 05 00 03 61 ff 62", MqttDecodeError.InvalidUtf8 },
        { "PUBLISH UTF-8 encoded surrogate", V3, "30 05 00 03 ed a0 80", MqttDecodeError.InvalidUtf8 },
        { "PUBLISH QoS 1 packet id 0", V3, "32 07 00 03 61 2f 62 00 00", MqttDecodeError.InvalidPacketId },
        { "PUBACK packet id 0", V3, "40 02 00 00", MqttDecodeError.InvalidPacketId },
        { "PUBACK too short", V3, "40 01 00", MqttDecodeError.Truncated },
        { "PUBACK 3.1.1 with trailing byte", V3, "40 03 00 01 00", MqttDecodeError.TrailingBytes },
        { "PINGREQ with a body", V3, "c0 01 00", MqttDecodeError.TrailingBytes },
        { "DISCONNECT 3.1.1 with a body", V3, "e0 01 00", MqttDecodeError.TrailingBytes },
        { "SUBSCRIBE with no filter", V3, "82 02 00 01", MqttDecodeError.EmptySubscription },
        { "UNSUBSCRIBE with no filter", V3, "a2 02 00 01", MqttDecodeError.EmptySubscription },
        { "SUBSCRIBE reserved option bits", V3, "82 06 00 01 00 01 61 04", MqttDecodeError.InvalidFieldValue },
        { "SUBSCRIBE QoS 3", V3, "82 06 00 01 00 01 61 03", MqttDecodeError.InvalidFieldValue },
        { "SUBSCRIBE filter a/#/b", V3, "82 0a 00 01 00 05 61 2f 23 2f 62 00", MqttDecodeError.InvalidTopic },
        { "SUBSCRIBE filter a+", V3, "82 07 00 01 00 02 61 2b 00", MqttDecodeError.InvalidTopic },
        { "SUBSCRIBE filter missing options byte", V3, "82 05 00 01 00 01 61", MqttDecodeError.Truncated },
        { "SUBSCRIBE 5.0 retain handling 3", V5, "82 07 00 01 00 00 01 61 30", MqttDecodeError.InvalidFieldValue },
        { "SUBACK 3.1.1 code 3", V3, "90 03 00 01 03", MqttDecodeError.InvalidFieldValue },
        { "CONNECT reserved flag bit", V3, "10 0e 00 04 4d 51 54 54 04 03 00 3c 00 02 63 31", MqttDecodeError.InvalidConnectFlags },
        { "CONNECT will QoS without will", V3, "10 0e 00 04 4d 51 54 54 04 0a 00 3c 00 02 63 31", MqttDecodeError.InvalidConnectFlags },
        { "CONNECT 3.1.1 password without user", V3, "10 11 00 04 4d 51 54 54 04 42 00 3c 00 02 63 31 00 01 70", MqttDecodeError.InvalidConnectFlags },
        { "CONNECT protocol name MQTX", V3, "10 0e 00 04 4d 51 54 58 04 02 00 3c 00 02 63 31", MqttDecodeError.ProtocolNameMismatch },
        { "CONNECT protocol level 6", V3, "10 0e 00 04 4d 51 54 54 06 02 00 3c 00 02 63 31", MqttDecodeError.UnsupportedProtocolVersion },
        { "CONNECT MQTT 3.1 MQIsdp", V3, "10 10 00 06 4d 51 49 73 64 70 03 02 00 3c 00 02 63 31", MqttDecodeError.UnsupportedProtocolVersion },
        { "CONNECT client id truncated", V3, "10 0d 00 04 4d 51 54 54 04 02 00 3c 00 02 63", MqttDecodeError.Truncated },
        { "CONNECT will topic with wildcard", V3, "10 12 00 04 4d 51 54 54 04 06 00 3c 00 01 63 00 01 23 00 00", MqttDecodeError.InvalidTopic },
        { "5.0 property repeated", V5, "30 10 00 03 61 2f 62 0a 02 00 00 00 01 02 00 00 00 02", MqttDecodeError.MalformedProperties },
        { "5.0 unknown property 0x7f", V5, "30 07 00 03 61 2f 62 01 7f", MqttDecodeError.MalformedProperties },
        { "5.0 property length past packet", V5, "30 06 00 03 61 2f 62 09", MqttDecodeError.Truncated },
        { "5.0 boolean property value 2", V5, "30 08 00 03 61 2f 62 02 01 02", MqttDecodeError.MalformedProperties },
        { "5.0 subscription identifier 0", V5, "30 08 00 03 61 2f 62 02 0b 00", MqttDecodeError.MalformedProperties },
        { "5.0 topic alias 0", V5, "30 09 00 03 61 2f 62 03 23 00 00", MqttDecodeError.MalformedProperties },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Rows))]
    public void Malformed_input_is_refused_with_its_reason(string name, MqttProtocolVersion version, string hex, MqttDecodeError expected)
    {
        var status = MqttPacketDecoder.TryDecode(Hex.Parse(hex), version, 64, out var packet, out var consumed, out var error);
        Assert.True(status == MqttDecodeStatus.Malformed, $"{name}: expected Malformed, got {status}");
        Assert.Equal(expected, error);
        Assert.Null(packet);
        Assert.Equal(0, consumed);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("30 80")]
    [InlineData("30 80 80 80")]
    [InlineData("30 05 00 03 61")]
    public void Partial_frames_need_more_data(string hex)
    {
        Assert.Equal(MqttDecodeStatus.NeedMoreData, MqttPacketDecoder.TryDecode(Hex.Parse(hex), V3, 1 << 20, out _, out _, out _));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Two_frames_back_to_back_decode_one_at_a_time()
    {
        var wire = Hex.Parse("c0 00 40 02 00 7b");
        Assert.Equal(MqttDecodeStatus.Complete, MqttPacketDecoder.TryDecode(wire, V3, 64, out var first, out var used, out _));
        Assert.IsType<MqttPingReqPacket>(first);
        Assert.Equal(MqttDecodeStatus.Complete, MqttPacketDecoder.TryDecode(wire.AsSpan(used), V3, 64, out var second, out _, out _));
        Assert.Equal(123, Assert.IsType<MqttPubAckPacket>(second).PacketId);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Encoder_refuses_strings_over_65535_bytes()
    {
        var p = new MqttPublishPacket { Topic = new string('a', 70_000) };
        Assert.Throws<ArgumentException>(() => MqttPacketEncoder.Encode(p, V3));
    }
}
