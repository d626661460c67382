using System.Buffers;
using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Transport;

/// <summary>Helpers that encode packets into pooled buffers for writing; no policy, no queueing.</summary>
public static class MqttFrameWriter
{
    /// <summary>Encodes and writes one packet and flushes.</summary>
    public static async ValueTask WriteAsync(Stream stream, MqttPacket packet, MqttProtocolVersion version, CancellationToken cancellationToken)
    {
        var size = MqttPacketEncoder.GetSize(packet, version);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            MqttPacketEncoder.Encode(buffer, packet, version);
            await stream.WriteAsync(buffer.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
