using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>
/// One packet waiting in a connection's outgoing queue: its own leading bytes (<see cref="Head"/>) and, for a
/// PUBLISH, the application payload by reference. Every delivery of one message shares that payload, so a message
/// fanned out to thousands of subscribers costs a small header per subscriber, not a copy of the payload.
/// </summary>
internal readonly struct MqttOutgoingFrame
{
    public MqttOutgoingFrame(byte[] head, ReadOnlyMemory<byte> payload)
    {
        Head = head;
        Payload = payload;
    }

    /// <summary>The whole packet for control packets; fixed header up to the payload for a PUBLISH.</summary>
    public byte[] Head { get; }

    /// <summary>Empty, or the PUBLISH payload, which nobody changes while it is queued.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Bytes this packet puts on the wire.</summary>
    public int Length => Head.Length + Payload.Length;

    /// <summary>A packet encoded in one piece (acknowledgements, CONNACK, DISCONNECT...).</summary>
    public static MqttOutgoingFrame Encode(MqttPacket packet, MqttProtocolVersion version) => new(MqttPacketEncoder.Encode(packet, version), ReadOnlyMemory<byte>.Empty);

    /// <summary>A PUBLISH as header + the packet's payload (not copied).</summary>
    public static MqttOutgoingFrame Publish(MqttPublishPacket packet, MqttProtocolVersion version) => new(MqttPacketEncoder.EncodePublishHeader(packet, version), packet.Payload);
}
