using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Formatter;

/// <summary>
/// Decodes MQTT packets from the front of a receive buffer. Pure: never throws for bad input, never reads past
/// the buffer, refuses packets above the maximum size before looking at their body.
/// </summary>
public static class MqttPacketDecoder
{
    /// <summary>Reads the fixed header: type/flags byte and remaining length.</summary>
    public static MqttDecodeStatus TryReadFixedHeader(
        ReadOnlySpan<byte> buffer, int maxPacketSize, out int headerLength, out int remainingLength, out MqttDecodeError error)
    {
        headerLength = 0;
        remainingLength = 0;
        error = MqttDecodeError.None;
        if (buffer.Length < 2)
        {
            return MqttDecodeStatus.NeedMoreData;
        }
        var status = MqttVarInt.TryRead(buffer[1..], out remainingLength, out var lengthBytes);
        if (status == MqttDecodeStatus.Malformed)
        {
            error = MqttDecodeError.MalformedVariableInteger;
            return status;
        }
        if (status == MqttDecodeStatus.NeedMoreData)
        {
            return status;
        }
        headerLength = 1 + lengthBytes;
        if ((long)headerLength + remainingLength > maxPacketSize)
        {
            error = MqttDecodeError.PacketTooLarge;
            return MqttDecodeStatus.Malformed;
        }
        return MqttDecodeStatus.Complete;
    }

    /// <summary>Decodes one packet from the front of <paramref name="buffer"/>.</summary>
    /// <param name="version">The connection's protocol version; CONNECT carries its own and ignores this.</param>
    /// <param name="consumed">Bytes the packet occupied when Complete.</param>
    public static MqttDecodeStatus TryDecode(
        ReadOnlySpan<byte> buffer,
        MqttProtocolVersion version,
        int maxPacketSize,
        out MqttPacket? packet,
        out int consumed,
        out MqttDecodeError error)
    {
        packet = null;
        consumed = 0;
        var status = TryReadFixedHeader(buffer, maxPacketSize, out var headerLength, out var remainingLength, out error);
        if (status != MqttDecodeStatus.Complete)
        {
            return status;
        }
        if (buffer.Length < headerLength + remainingLength)
        {
            return MqttDecodeStatus.NeedMoreData;
        }
        try
        {
            packet = DecodeBody(buffer[0], buffer.Slice(headerLength, remainingLength), version);
            consumed = headerLength + remainingLength;
            return MqttDecodeStatus.Complete;
        }
        catch (MqttMalformedPacketException e)
        {
            error = e.Error;
            return MqttDecodeStatus.Malformed;
        }
    }

    private static MqttPacket DecodeBody(byte first, ReadOnlySpan<byte> body, MqttProtocolVersion version)
    {
        var type = (MqttPacketType)(first >> 4);
        var flags = first & 0x0F;
        var v5 = version == MqttProtocolVersion.V500;
        if (type != MqttPacketType.Publish)
        {
            var expected = type is MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe ? 0x02 : 0;
            if (flags != expected)
            {
                throw new MqttMalformedPacketException(MqttDecodeError.ReservedFlags);
            }
        }
        var r = new MqttSpanReader(body);
        MqttPacket packet = type switch
        {
            MqttPacketType.Connect => ReadConnect(ref r),
            MqttPacketType.ConnAck => ReadConnAck(ref r, v5),
            MqttPacketType.Publish => ReadPublish(ref r, flags, v5),
            MqttPacketType.PubAck => ReadAck(ref r, new MqttPubAckPacket(), v5),
            MqttPacketType.PubRec => ReadAck(ref r, new MqttPubRecPacket(), v5),
            MqttPacketType.PubRel => ReadAck(ref r, new MqttPubRelPacket(), v5),
            MqttPacketType.PubComp => ReadAck(ref r, new MqttPubCompPacket(), v5),
            MqttPacketType.Subscribe => ReadSubscribe(ref r, v5),
            MqttPacketType.SubAck => ReadSubAck(ref r, v5),
            MqttPacketType.Unsubscribe => ReadUnsubscribe(ref r, v5),
            MqttPacketType.UnsubAck => ReadUnsubAck(ref r, v5),
            MqttPacketType.PingReq => MqttPingReqPacket.Instance,
            MqttPacketType.PingResp => MqttPingRespPacket.Instance,
            MqttPacketType.Disconnect => ReadDisconnect(ref r, v5),
            MqttPacketType.Auth when v5 => ReadAuth(ref r),
            _ => throw new MqttMalformedPacketException(MqttDecodeError.UnknownPacketType),
        };
        if (!r.End)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.TrailingBytes);
        }
        return packet;
    }

    private static MqttConnectPacket ReadConnect(ref MqttSpanReader r)
    {
        var name = r.ReadString();
        var level = r.ReadByte();
        if (name != "MQTT")
        {
            // MQTT 3.1 used "MQIsdp" with level 3: reported as an unsupported version so the server can answer CONNACK 0x01.
            throw new MqttMalformedPacketException(name == "MQIsdp" ? MqttDecodeError.UnsupportedProtocolVersion : MqttDecodeError.ProtocolNameMismatch);
        }
        if (level is not ((byte)MqttProtocolVersion.V311 or (byte)MqttProtocolVersion.V500))
        {
            throw new MqttMalformedPacketException(MqttDecodeError.UnsupportedProtocolVersion);
        }
        var v5 = level == (byte)MqttProtocolVersion.V500;
        var flags = r.ReadByte();
        var hasWill = (flags & 0x04) != 0;
        var willQos = (flags >> 3) & 0x03;
        var willRetain = (flags & 0x20) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var hasUser = (flags & 0x80) != 0;

        // 3.1.2.3: reserved bit 0 is 0; 3.1.2.6/3.1.2.7: will QoS and retain only with a will; 3.1.2.9: 3.1.1 needs a user name for a password.
        if ((flags & 0x01) != 0
            || willQos == 3
            || (!hasWill && (willQos != 0 || willRetain))
            || (!v5 && hasPassword && !hasUser))
        {
            throw new MqttMalformedPacketException(MqttDecodeError.InvalidConnectFlags);
        }
        var c = new MqttConnectPacket
        {
            ProtocolVersion = (MqttProtocolVersion)level,
            CleanSession = (flags & 0x02) != 0,
            KeepAliveSeconds = r.ReadUInt16(),
        };
        if (v5)
        {
            c.Properties = MqttPropertiesCodec.Read(ref r);
        }
        c.ClientId = r.ReadString();
        if (hasWill)
        {
            var will = new MqttWill { Qos = (MqttQos)willQos, Retain = willRetain };
            if (v5)
            {
                will.Properties = MqttPropertiesCodec.Read(ref r);
            }
            will.Topic = r.ReadString();
            if (!MqttTopic.IsValidTopicName(will.Topic))
            {
                throw new MqttMalformedPacketException(MqttDecodeError.InvalidTopic);
            }
            will.Payload = r.ReadBinary();
            c.Will = will;
        }
        if (hasUser)
        {
            c.UserName = r.ReadString();
        }
        if (hasPassword)
        {
            c.Password = r.ReadBinary();
        }
        return c;
    }

    private static MqttConnAckPacket ReadConnAck(ref MqttSpanReader r, bool v5)
    {
        var ackFlags = r.ReadByte();
        if ((ackFlags & 0xFE) != 0)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.ReservedFlags);
        }
        var a = new MqttConnAckPacket { SessionPresent = ackFlags == 1, ReasonCode = r.ReadByte() };
        if (v5)
        {
            a.Properties = MqttPropertiesCodec.Read(ref r);
        }
        return a;
    }

    private static MqttPublishPacket ReadPublish(ref MqttSpanReader r, int flags, bool v5)
    {
        var qos = (MqttQos)((flags >> 1) & 0x03);
        var dup = (flags & 0x08) != 0;

        // 3.3.1.2: QoS 3 is malformed; 3.3.1.1: DUP must be 0 for QoS 0.
        if ((byte)qos == 3 || (dup && qos == MqttQos.AtMostOnce))
        {
            throw new MqttMalformedPacketException(MqttDecodeError.InvalidQos);
        }
        var p = new MqttPublishPacket { Qos = qos, Duplicate = dup, Retain = (flags & 0x01) != 0, Topic = r.ReadString() };
        if (qos > MqttQos.AtMostOnce)
        {
            p.PacketId = NonZeroId(r.ReadUInt16());
        }
        if (v5)
        {
            p.Properties = MqttPropertiesCodec.Read(ref r);
        }
        // 5.0 3.3.2.1: an empty topic is allowed only together with a topic alias.
        var aliasOnly = v5 && p.Topic.Length == 0 && p.Properties?.TopicAlias is not null;
        if (!aliasOnly && !MqttTopic.IsValidTopicName(p.Topic))
        {
            throw new MqttMalformedPacketException(MqttDecodeError.InvalidTopic);
        }
        p.Payload = r.ReadRest().ToArray();
        return p;
    }

    private static T ReadAck<T>(ref MqttSpanReader r, T ack, bool v5)
        where T : MqttAcknowledgementPacket
    {
        ack.PacketId = NonZeroId(r.ReadUInt16());
        if (v5 && !r.End)
        {
            ack.ReasonCode = (MqttReasonCode)r.ReadByte();
            if (!r.End)
            {
                ack.Properties = MqttPropertiesCodec.Read(ref r);
            }
        }
        return ack;
    }

    private static MqttSubscribePacket ReadSubscribe(ref MqttSpanReader r, bool v5)
    {
        var s = new MqttSubscribePacket { PacketId = NonZeroId(r.ReadUInt16()) };
        if (v5)
        {
            s.Properties = MqttPropertiesCodec.Read(ref r);
        }
        while (!r.End)
        {
            var filter = r.ReadString();
            if (!MqttTopic.IsValidTopicFilter(filter))
            {
                throw new MqttMalformedPacketException(MqttDecodeError.InvalidTopic);
            }
            var options = r.ReadByte();
            var qos = options & 0x03;
            var retainHandling = (options >> 4) & 0x03;

            // 3.1.1 3.8.3.1: upper six bits reserved; 5.0 3.8.3.1: bits 6-7 reserved, retain handling 3 is invalid.
            if (qos == 3 || (!v5 && (options & 0xFC) != 0) || (v5 && ((options & 0xC0) != 0 || retainHandling == 3)))
            {
                throw new MqttMalformedPacketException(MqttDecodeError.InvalidFieldValue);
            }
            s.Filters.Add(new MqttTopicFilter(filter, (MqttQos)qos)
            {
                NoLocal = v5 && (options & 0x04) != 0,
                RetainAsPublished = v5 && (options & 0x08) != 0,
                RetainHandling = (byte)retainHandling,
            });
        }
        if (s.Filters.Count == 0)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.EmptySubscription);
        }
        return s;
    }

    private static MqttSubAckPacket ReadSubAck(ref MqttSpanReader r, bool v5)
    {
        var a = new MqttSubAckPacket { PacketId = NonZeroId(r.ReadUInt16()) };
        if (v5)
        {
            a.Properties = MqttPropertiesCodec.Read(ref r);
        }
        while (!r.End)
        {
            var code = r.ReadByte();
            if (!v5 && code is not (0 or 1 or 2 or MqttSubAckPacket.Failure))
            {
                throw new MqttMalformedPacketException(MqttDecodeError.InvalidFieldValue);
            }
            a.ReasonCodes.Add(code);
        }
        return a;
    }

    private static MqttUnsubscribePacket ReadUnsubscribe(ref MqttSpanReader r, bool v5)
    {
        var u = new MqttUnsubscribePacket { PacketId = NonZeroId(r.ReadUInt16()) };
        if (v5)
        {
            u.Properties = MqttPropertiesCodec.Read(ref r);
        }
        while (!r.End)
        {
            var filter = r.ReadString();
            if (!MqttTopic.IsValidTopicFilter(filter))
            {
                throw new MqttMalformedPacketException(MqttDecodeError.InvalidTopic);
            }
            u.Filters.Add(filter);
        }
        if (u.Filters.Count == 0)
        {
            throw new MqttMalformedPacketException(MqttDecodeError.EmptySubscription);
        }
        return u;
    }

    private static MqttUnsubAckPacket ReadUnsubAck(ref MqttSpanReader r, bool v5)
    {
        var a = new MqttUnsubAckPacket { PacketId = NonZeroId(r.ReadUInt16()) };
        if (v5)
        {
            a.Properties = MqttPropertiesCodec.Read(ref r);
            while (!r.End)
            {
                a.ReasonCodes.Add(r.ReadByte());
            }
        }
        return a;
    }

    private static MqttDisconnectPacket ReadDisconnect(ref MqttSpanReader r, bool v5)
    {
        var d = new MqttDisconnectPacket();
        if (v5 && !r.End)
        {
            d.ReasonCode = (MqttReasonCode)r.ReadByte();
            if (!r.End)
            {
                d.Properties = MqttPropertiesCodec.Read(ref r);
            }
        }
        return d;
    }

    private static MqttAuthPacket ReadAuth(ref MqttSpanReader r)
    {
        var a = new MqttAuthPacket();
        if (!r.End)
        {
            a.ReasonCode = (MqttReasonCode)r.ReadByte();
            if (!r.End)
            {
                a.Properties = MqttPropertiesCodec.Read(ref r);
            }
        }
        return a;
    }

    private static ushort NonZeroId(ushort id) => id == 0 ? throw new MqttMalformedPacketException(MqttDecodeError.InvalidPacketId) : id;
}
