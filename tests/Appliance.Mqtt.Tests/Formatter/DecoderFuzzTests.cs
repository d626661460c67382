using System.Diagnostics;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Formatter;

public sealed class DecoderFuzzTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Mutated_golden_frames_never_throw_and_decoded_packets_re_encode()
    {
        var mutator = new PacketMutator(20261122, GoldenFrames.All.Select(f => Hex.Parse(f.Hex)));
        var watch = Stopwatch.StartNew();
        int complete = 0, malformed = 0, partial = 0;
        for (var i = 0; i < 300_000 && watch.Elapsed < TimeSpan.FromSeconds(20); i++)
        {
            var wire = mutator.Next();
            var version = (i & 1) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
            var status = MqttPacketDecoder.TryDecode(wire, version, 4096, out var packet, out var consumed, out var error);
            switch (status)
            {
                case MqttDecodeStatus.Complete:
                    complete++;
                    Assert.InRange(consumed, 2, wire.Length);
                    Assert.Equal(MqttDecodeError.None, error);
                    // Whatever the decoder accepts, the encoder can write back (CONNECT carries its own version).
                    var again = MqttPacketEncoder.Encode(packet!, packet is MqttConnectPacket c ? c.ProtocolVersion : version);
                    Assert.True(again.Length > 0);
                    break;
                case MqttDecodeStatus.Malformed:
                    malformed++;
                    Assert.NotEqual(MqttDecodeError.None, error);
                    Assert.Null(packet);
                    break;
                default:
                    partial++;
                    break;
            }
        }
        Assert.True(complete + malformed + partial >= 100_000, $"only {complete + malformed + partial} cases in the time box");
        Assert.True(complete > 1000 && malformed > 1000, $"complete {complete}, malformed {malformed}, partial {partial}");
    }
}
