using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

public sealed class GoldenFrameTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenFrames.All)
        {
            data.Add(f.Name);
        }
        return data;
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Names))]
    public void Encode_produces_the_golden_bytes(string name)
    {
        var frame = GoldenFrames.All.Single(f => f.Name == name);
        var bytes = MqttPacketEncoder.Encode(frame.Build(), frame.Version);
        Assert.Equal(frame.Hex, Hex.Format(bytes));
        Assert.Equal(bytes.Length, MqttPacketEncoder.GetSize(frame.Build(), frame.Version));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Names))]
    public void Decode_then_encode_round_trips(string name)
    {
        var frame = GoldenFrames.All.Single(f => f.Name == name);
        var wire = Hex.Parse(frame.Hex);
        var status = MqttPacketDecoder.TryDecode(wire, frame.Version, 1 << 20, out var packet, out var consumed, out var error);
        Assert.Equal((MqttDecodeStatus.Complete, MqttDecodeError.None), (status, error));
        Assert.Equal(wire.Length, consumed);
        Assert.Equal(frame.Build().Type, packet!.Type);
        Assert.Equal(frame.Hex, Hex.Format(MqttPacketEncoder.Encode(packet, frame.Version)));
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Names))]
    public void Every_proper_prefix_needs_more_data(string name)
    {
        var frame = GoldenFrames.All.Single(f => f.Name == name);
        var wire = Hex.Parse(frame.Hex);
        for (var i = 0; i < wire.Length; i++)
        {
            var status = MqttPacketDecoder.TryDecode(wire.AsSpan(0, i), frame.Version, 1 << 20, out _, out _, out _);
            Assert.Equal(MqttDecodeStatus.NeedMoreData, status);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Corpus_covers_every_packet_type()
    {
        var types = GoldenFrames.All.Select(f => f.Build().Type).ToHashSet();
        Assert.Equal(Enum.GetValues<MqttPacketType>().Length, types.Count);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Decoded_fields_match_the_annotation()
    {
        var wire = Hex.Parse("10 19 00 04 4d 51 54 54 04 ee 00 0a 00 01 63 00 01 77 00 01 78 00 01 75 00 01 70");
        MqttPacketDecoder.TryDecode(wire, MqttProtocolVersion.V311, 1024, out var p, out _, out _);
        var c = Assert.IsType<MqttConnectPacket>(p);
        Assert.Equal(("c", (ushort)10, "u", "p", true), (c.ClientId, c.KeepAliveSeconds, c.UserName, System.Text.Encoding.UTF8.GetString(c.Password!), c.CleanSession));
        Assert.Equal(("w", MqttQos.AtLeastOnce, true), (c.Will!.Topic, c.Will.Qos, c.Will.Retain));

        wire = Hex.Parse("32 16 00 03 61 2f 62 00 01 0c 02 00 00 00 3c 26 00 01 6b 00 01 76 68 69");
        MqttPacketDecoder.TryDecode(wire, MqttProtocolVersion.V500, 1024, out p, out _, out _);
        var pub = Assert.IsType<MqttPublishPacket>(p);
        Assert.Equal(60u, pub.Properties!.MessageExpiryInterval);
        Assert.Equal(new MqttUserProperty("k", "v"), Assert.Single(pub.Properties.UserProperties!));
        Assert.Equal("hi"u8.ToArray(), pub.Payload.ToArray());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Random_publish_packets_round_trip()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var v = rng.Next(2) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
            var qos = (MqttQos)rng.Next(3);
            var payload = new byte[rng.Next(0, 300)];
            rng.NextBytes(payload);
            var packet = new MqttPublishPacket
            {
                Topic = "t/" + rng.Next(),
                Qos = qos,
                PacketId = qos == MqttQos.AtMostOnce ? (ushort)0 : (ushort)rng.Next(1, 65536),
                Retain = rng.Next(2) == 0,
                Payload = payload,
                Properties = v == MqttProtocolVersion.V500 && rng.Next(2) == 0 ? new MqttProperties { MessageExpiryInterval = (uint)rng.Next() } : null,
            };
            var wire = MqttPacketEncoder.Encode(packet, v);
            Assert.Equal(MqttDecodeStatus.Complete, MqttPacketDecoder.TryDecode(wire, v, 1 << 20, out var back, out _, out _));
            Assert.Equal(Hex.Format(wire), Hex.Format(MqttPacketEncoder.Encode(back!, v)));
        }
    }
}
