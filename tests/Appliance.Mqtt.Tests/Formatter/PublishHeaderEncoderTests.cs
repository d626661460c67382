using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

/// <summary>
/// <see cref="MqttPacketEncoder.EncodePublishHeader(MqttPublishPacket, MqttProtocolVersion)"/>: the bytes of a PUBLISH up
/// to its payload, so that header + payload is exactly the whole encoded packet.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class PublishHeaderEncoderTests
{
    private const string Topic = "appliance/v1/node/n-0042/peers";

    // Named packet shapes: every fixed-header flag combination the broker sends, with and without 5.0 properties.
    private static readonly Dictionary<string, Func<ReadOnlyMemory<byte>, MqttPublishPacket>> Shapes = new()
    {
        ["qos0"] = p => new MqttPublishPacket { Topic = Topic, Payload = p },
        ["qos0 retain"] = p => new MqttPublishPacket { Topic = Topic, Payload = p, Retain = true },
        ["qos1 id 1"] = p => new MqttPublishPacket { Topic = Topic, Payload = p, Qos = MqttQos.AtLeastOnce, PacketId = 1 },
        ["qos1 dup retain id 65535"] = p => new MqttPublishPacket { Topic = Topic, Payload = p, Qos = MqttQos.AtLeastOnce, PacketId = 65535, Duplicate = true, Retain = true },
        ["qos2 id 300"] = p => new MqttPublishPacket { Topic = Topic, Payload = p, Qos = MqttQos.ExactlyOnce, PacketId = 300 },
        ["qos1 with properties"] = p => new MqttPublishPacket
        {
            Topic = Topic, Payload = p, Qos = MqttQos.AtLeastOnce, PacketId = 7,
            Properties = new MqttProperties
            {
                PayloadFormatIndicator = 0, MessageExpiryInterval = 3600, ContentType = "application/octet-stream",
                CorrelationData = [1, 2, 3], UserProperties = [new("sig", "ed25519")],
            },
        },
        ["qos0 empty topic properties"] = p => new MqttPublishPacket { Topic = "t", Payload = p, Properties = new MqttProperties() },
    };

    public static TheoryData<string, MqttProtocolVersion, int> Rows()
    {
        var rows = new TheoryData<string, MqttProtocolVersion, int>();
        foreach (var shape in Shapes.Keys)
        {
            foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            {
                // Payload lengths around the remaining-length encoding boundaries (1/2/3 bytes), and a 72 KB snapshot part.
                foreach (var length in new[] { 0, 1, 126, 127, 128, 129, 16_383, 16_384, 73_728 })
                {
                    rows.Add(shape, version, length);
                }
            }
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Header_followed_by_the_payload_is_the_encoded_packet(string shape, MqttProtocolVersion version, int payloadLength)
    {
        AssertHeaderMatchesEncode(Shapes[shape](Payload(payloadLength)), version);
    }

    [Theory]
    [MemberData(nameof(RemainingLengthBoundaries))]
    public void Remaining_length_exactly_at_a_varint_boundary(string shape, MqttProtocolVersion version, int remainingLength)
    {
        // The variable header (topic, id, properties) is below 128 bytes here, so an empty payload gives it as size - 2.
        var variableHeader = MqttPacketEncoder.GetSize(Shapes[shape](ReadOnlyMemory<byte>.Empty), version) - 2;
        var packet = Shapes[shape](Payload(remainingLength - variableHeader));
        var header = AssertHeaderMatchesEncode(packet, version);
        Assert.Equal(1 + MqttVarInt.GetSize(remainingLength) + variableHeader, header.Length);
    }

    public static TheoryData<string, MqttProtocolVersion, int> RemainingLengthBoundaries()
    {
        var rows = new TheoryData<string, MqttProtocolVersion, int>();
        foreach (var shape in new[] { "qos0", "qos1 dup retain id 65535", "qos1 with properties" })
        {
            foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            {
                foreach (var remaining in new[] { 127, 128, 16_383, 16_384, 2_097_151, 2_097_152 })
                {
                    rows.Add(shape, version, remaining);
                }
            }
        }
        return rows;
    }

    [Fact]
    public void Golden_header_of_a_qos1_dup_retain_publish()
    {
        // Whole frame (GoldenFrames "publish qos1 dup retain"): 3b 09 00 03 61 2f 62 00 0a 68 69. The header stops before "hi"
        // but its remaining length (09) still counts the two payload bytes.
        var packet = new MqttPublishPacket { Topic = "a/b", Payload = "hi"u8.ToArray(), Qos = MqttQos.AtLeastOnce, Duplicate = true, Retain = true, PacketId = 10 };
        Assert.Equal("3b 09 00 03 61 2f 62 00 0a", Hex.Format(MqttPacketEncoder.EncodePublishHeader(packet, MqttProtocolVersion.V311)));
    }

    [Fact]
    public void Span_overload_refuses_a_destination_that_is_too_small()
    {
        var packet = new MqttPublishPacket { Topic = "a/b", Payload = new byte[1000] };
        var size = MqttPacketEncoder.GetPublishHeaderSize(packet, MqttProtocolVersion.V311);
        var e = Assert.Throws<ArgumentException>(() => MqttPacketEncoder.EncodePublishHeader(new byte[size - 1], packet, MqttProtocolVersion.V311));
        Assert.Contains($"needs {size}", e.Message, StringComparison.Ordinal);
        Assert.Equal(size, MqttPacketEncoder.EncodePublishHeader(new byte[size + 10], packet, MqttProtocolVersion.V311));
    }

    private static byte[] AssertHeaderMatchesEncode(MqttPublishPacket packet, MqttProtocolVersion version)
    {
        var whole = MqttPacketEncoder.Encode(packet, version);
        var header = MqttPacketEncoder.EncodePublishHeader(packet, version);
        Assert.Equal(header.Length, MqttPacketEncoder.GetPublishHeaderSize(packet, version));
        Assert.Equal(whole.Length, header.Length + packet.Payload.Length);
        Assert.Equal(Hex.Format(whole.AsSpan(0, header.Length)), Hex.Format(header));
        Assert.True(whole.AsSpan(header.Length).SequenceEqual(packet.Payload.Span), "the whole frame continues with the payload");
        return header;
    }

    private static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        return bytes;
    }
}
