using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;
using BenchmarkDotNet.Attributes;

namespace Appliance.Bench.Mqtt;

/// <summary>Encode and decode of a 500-byte QoS 1 PUBLISH.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly MqttPublishPacket _packet = new() { Topic = "appliance/v1/node/n1/peers", Qos = MqttQos.AtLeastOnce, PacketId = 7, Payload = new byte[500] };
    private readonly byte[] _buffer = new byte[1024];
    private byte[] _wire = [];

    [GlobalSetup]
    public void Setup() => _wire = MqttPacketEncoder.Encode(_packet, MqttProtocolVersion.V311);

    [Benchmark]
    public int EncodePublish() => MqttPacketEncoder.Encode(_buffer, _packet, MqttProtocolVersion.V311);

    [Benchmark]
    public MqttPacket? DecodePublish()
    {
        MqttPacketDecoder.TryDecode(_wire, MqttProtocolVersion.V311, 1 << 20, out var p, out _, out _);
        return p;
    }
}
