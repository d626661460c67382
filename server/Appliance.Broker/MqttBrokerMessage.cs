using Appliance.Mqtt.Formatter;
using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>An application message inside the broker: what was published, when, and cached QoS 0 headers for fan-out.</summary>
/// <remarks>
/// <see cref="Payload"/> is shared, never copied per delivery: every queued PUBLISH, the retained store and in-process
/// subscribers refer to the same bytes, so nobody may change them after the message is made.
/// </remarks>
internal sealed class MqttBrokerMessage
{
    private byte[]? _qos0HeadV311;
    private byte[]? _qos0HeadV500;

    public MqttBrokerMessage(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, bool retain, MqttProperties? properties, string? publisherClientId, long receivedAtMs)
    {
        Topic = topic;
        Payload = payload;
        Qos = qos;
        Retain = retain;
        Properties = properties;
        PublisherClientId = publisherClientId;
        ReceivedAtMs = receivedAtMs;
    }

    public string Topic { get; }
    public ReadOnlyMemory<byte> Payload { get; }
    public MqttQos Qos { get; }
    public bool Retain { get; }
    public MqttProperties? Properties { get; }
    public string? PublisherClientId { get; }
    public long ReceivedAtMs { get; }

    /// <summary>5.0 section 3.3.2.3.3: message expiry counts from reception.</summary>
    public bool IsExpired(long nowMs) => Properties?.MessageExpiryInterval is { } s && nowMs - ReceivedAtMs >= s * 1000L;

    /// <summary>The PUBLISH a subscriber receives. Only 5.0 subscribers see properties, with the remaining expiry.</summary>
    public MqttPublishPacket ToPacket(MqttQos qos, bool retainFlag, ushort packetId, bool duplicate, MqttProtocolVersion version, long nowMs)
    {
        MqttProperties? props = null;
        if (version == MqttProtocolVersion.V500 && Properties is { } p)
        {
            props = new MqttProperties
            {
                PayloadFormatIndicator = p.PayloadFormatIndicator,
                ContentType = p.ContentType,
                ResponseTopic = p.ResponseTopic,
                CorrelationData = p.CorrelationData,
                UserProperties = p.UserProperties,
                MessageExpiryInterval = p.MessageExpiryInterval is { } s ? (uint)Math.Max(0, s - ((nowMs - ReceivedAtMs) / 1000)) : null,
            };
        }
        return new MqttPublishPacket { Topic = Topic, Payload = Payload, Qos = qos, Retain = retainFlag, PacketId = packetId, Duplicate = duplicate, Properties = props };
    }

    /// <summary>QoS 0, retain flag clear: identical for every subscriber of one protocol version, so the header is encoded once.</summary>
    public MqttOutgoingFrame GetQos0Frame(MqttProtocolVersion version, long nowMs)
    {
        var head = version == MqttProtocolVersion.V500
            ? _qos0HeadV500 ??= EncodeQos0Head(version, nowMs)
            : _qos0HeadV311 ??= EncodeQos0Head(version, nowMs);
        return new MqttOutgoingFrame(head, Payload);
    }

    private byte[] EncodeQos0Head(MqttProtocolVersion version, long nowMs) =>
        MqttPacketEncoder.EncodePublishHeader(ToPacket(MqttQos.AtMostOnce, false, 0, false, version, nowMs), version);
}
