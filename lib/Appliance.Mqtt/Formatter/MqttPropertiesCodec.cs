using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Formatter;

/// <summary>Reads and writes the MQTT 5.0 property block: a variable byte integer length, then identifier/value pairs.</summary>
internal static class MqttPropertiesCodec
{
    public static void Write(ref MqttSpanWriter w, MqttProperties? p)
    {
        if (p is null)
        {
            w.WriteVarInt(0);
            return;
        }
        var m = MqttSpanWriter.Measuring();
        WriteItems(ref m, p);
        w.WriteVarInt(m.Position);
        WriteItems(ref w, p);
    }

    public static MqttProperties? Read(ref MqttSpanReader r)
    {
        var length = r.ReadVarInt();
        if (length == 0)
        {
            return null;
        }
        var inner = new MqttSpanReader(r.ReadSpan(length));
        var p = new MqttProperties();
        while (!inner.End)
        {
            var id = (MqttPropertyId)inner.ReadVarInt();
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = Once(p.PayloadFormatIndicator, ReadFlag(ref inner)); break;
                case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = Once(p.MessageExpiryInterval, inner.ReadUInt32()); break;
                case MqttPropertyId.ContentType: p.ContentType = OnceRef(p.ContentType, inner.ReadString()); break;
                case MqttPropertyId.ResponseTopic: p.ResponseTopic = OnceRef(p.ResponseTopic, inner.ReadString()); break;
                case MqttPropertyId.CorrelationData: p.CorrelationData = OnceRef(p.CorrelationData, inner.ReadBinary()); break;
                case MqttPropertyId.SubscriptionIdentifier:
                    var sid = inner.ReadVarInt();
                    if (sid == 0)
                    {
                        throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties);
                    }
                    (p.SubscriptionIdentifiers ??= []).Add((uint)sid);
                    break;
                case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = Once(p.SessionExpiryInterval, inner.ReadUInt32()); break;
                case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = OnceRef(p.AssignedClientIdentifier, inner.ReadString()); break;
                case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = Once(p.ServerKeepAlive, inner.ReadUInt16()); break;
                case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = OnceRef(p.AuthenticationMethod, inner.ReadString()); break;
                case MqttPropertyId.AuthenticationData: p.AuthenticationData = OnceRef(p.AuthenticationData, inner.ReadBinary()); break;
                case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = Once(p.RequestProblemInformation, ReadFlag(ref inner)); break;
                case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = Once(p.WillDelayInterval, inner.ReadUInt32()); break;
                case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = Once(p.RequestResponseInformation, ReadFlag(ref inner)); break;
                case MqttPropertyId.ResponseInformation: p.ResponseInformation = OnceRef(p.ResponseInformation, inner.ReadString()); break;
                case MqttPropertyId.ServerReference: p.ServerReference = OnceRef(p.ServerReference, inner.ReadString()); break;
                case MqttPropertyId.ReasonString: p.ReasonString = OnceRef(p.ReasonString, inner.ReadString()); break;
                case MqttPropertyId.ReceiveMaximum: p.ReceiveMaximum = Once(p.ReceiveMaximum, NonZero(inner.ReadUInt16())); break;
                case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = Once(p.TopicAliasMaximum, inner.ReadUInt16()); break;
                case MqttPropertyId.TopicAlias: p.TopicAlias = Once(p.TopicAlias, NonZero(inner.ReadUInt16())); break;
                case MqttPropertyId.MaximumQos: p.MaximumQos = Once(p.MaximumQos, ReadFlag(ref inner)); break;
                case MqttPropertyId.RetainAvailable: p.RetainAvailable = Once(p.RetainAvailable, ReadFlag(ref inner)); break;
                case MqttPropertyId.UserProperty:
                    var name = inner.ReadString();
                    (p.UserProperties ??= []).Add(new MqttUserProperty(name, inner.ReadString()));
                    break;
                case MqttPropertyId.MaximumPacketSize:
                    var max = inner.ReadUInt32();
                    p.MaximumPacketSize = Once(p.MaximumPacketSize, max == 0 ? throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties) : max);
                    break;
                case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = Once(p.WildcardSubscriptionAvailable, ReadFlag(ref inner)); break;
                case MqttPropertyId.SubscriptionIdentifierAvailable: p.SubscriptionIdentifierAvailable = Once(p.SubscriptionIdentifierAvailable, ReadFlag(ref inner)); break;
                case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = Once(p.SharedSubscriptionAvailable, ReadFlag(ref inner)); break;
                default:
                    throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties);
            }
        }
        return p;
    }

    private static void WriteItems(ref MqttSpanWriter w, MqttProperties p)
    {
        Byte(ref w, MqttPropertyId.PayloadFormatIndicator, p.PayloadFormatIndicator);
        UInt32(ref w, MqttPropertyId.MessageExpiryInterval, p.MessageExpiryInterval);
        Str(ref w, MqttPropertyId.ContentType, p.ContentType);
        Str(ref w, MqttPropertyId.ResponseTopic, p.ResponseTopic);
        Bin(ref w, MqttPropertyId.CorrelationData, p.CorrelationData);
        if (p.SubscriptionIdentifiers is { } ids)
        {
            foreach (var id in ids)
            {
                w.WriteVarInt((int)MqttPropertyId.SubscriptionIdentifier);
                w.WriteVarInt(checked((int)id));
            }
        }
        UInt32(ref w, MqttPropertyId.SessionExpiryInterval, p.SessionExpiryInterval);
        Str(ref w, MqttPropertyId.AssignedClientIdentifier, p.AssignedClientIdentifier);
        UInt16(ref w, MqttPropertyId.ServerKeepAlive, p.ServerKeepAlive);
        Str(ref w, MqttPropertyId.AuthenticationMethod, p.AuthenticationMethod);
        Bin(ref w, MqttPropertyId.AuthenticationData, p.AuthenticationData);
        Byte(ref w, MqttPropertyId.RequestProblemInformation, p.RequestProblemInformation);
        UInt32(ref w, MqttPropertyId.WillDelayInterval, p.WillDelayInterval);
        Byte(ref w, MqttPropertyId.RequestResponseInformation, p.RequestResponseInformation);
        Str(ref w, MqttPropertyId.ResponseInformation, p.ResponseInformation);
        Str(ref w, MqttPropertyId.ServerReference, p.ServerReference);
        Str(ref w, MqttPropertyId.ReasonString, p.ReasonString);
        UInt16(ref w, MqttPropertyId.ReceiveMaximum, p.ReceiveMaximum);
        UInt16(ref w, MqttPropertyId.TopicAliasMaximum, p.TopicAliasMaximum);
        UInt16(ref w, MqttPropertyId.TopicAlias, p.TopicAlias);
        Byte(ref w, MqttPropertyId.MaximumQos, p.MaximumQos);
        Byte(ref w, MqttPropertyId.RetainAvailable, p.RetainAvailable);
        if (p.UserProperties is { } ups)
        {
            foreach (var up in ups)
            {
                w.WriteVarInt((int)MqttPropertyId.UserProperty);
                w.WriteString(up.Name);
                w.WriteString(up.Value);
            }
        }
        UInt32(ref w, MqttPropertyId.MaximumPacketSize, p.MaximumPacketSize);
        Byte(ref w, MqttPropertyId.WildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable);
        Byte(ref w, MqttPropertyId.SubscriptionIdentifierAvailable, p.SubscriptionIdentifierAvailable);
        Byte(ref w, MqttPropertyId.SharedSubscriptionAvailable, p.SharedSubscriptionAvailable);
    }

    private static void Byte(ref MqttSpanWriter w, MqttPropertyId id, byte? v)
    {
        if (v is { } x)
        {
            w.WriteVarInt((int)id);
            w.WriteByte(x);
        }
    }

    private static void UInt16(ref MqttSpanWriter w, MqttPropertyId id, ushort? v)
    {
        if (v is { } x)
        {
            w.WriteVarInt((int)id);
            w.WriteUInt16(x);
        }
    }

    private static void UInt32(ref MqttSpanWriter w, MqttPropertyId id, uint? v)
    {
        if (v is { } x)
        {
            w.WriteVarInt((int)id);
            w.WriteUInt32(x);
        }
    }

    private static void Str(ref MqttSpanWriter w, MqttPropertyId id, string? v)
    {
        if (v is not null)
        {
            w.WriteVarInt((int)id);
            w.WriteString(v);
        }
    }

    private static void Bin(ref MqttSpanWriter w, MqttPropertyId id, byte[]? v)
    {
        if (v is not null)
        {
            w.WriteVarInt((int)id);
            w.WriteBinary(v);
        }
    }

    // 5.0 section 2.2.2.2: a property other than user property / subscription identifier appearing twice is a protocol error.
    private static T Once<T>(T? existing, T value)
        where T : struct
        => existing.HasValue ? throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties) : value;

    private static T OnceRef<T>(T? existing, T value)
        where T : class
        => existing is not null ? throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties) : value;

    private static byte ReadFlag(ref MqttSpanReader r)
    {
        var b = r.ReadByte();
        return b > 1 ? throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties) : b;
    }

    private static ushort NonZero(ushort v) => v == 0 ? throw new MqttMalformedPacketException(MqttDecodeError.MalformedProperties) : v;
}
