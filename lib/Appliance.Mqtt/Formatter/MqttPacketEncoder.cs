using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Formatter;

/// <summary>Encodes MQTT packets to bytes. Pure: no I/O, no clocks; the caller chooses the protocol version.</summary>
public static class MqttPacketEncoder
{
    /// <summary>Total encoded size: fixed header, remaining length and body.</summary>
    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
    {
        var m = MqttSpanWriter.Measuring();
        WriteBody(ref m, packet, version);
        return 1 + MqttVarInt.GetSize(m.Position) + m.Position;
    }

    /// <summary>Writes <paramref name="packet"/> to the front of <paramref name="dst"/> and returns the byte count.</summary>
    public static int Encode(Span<byte> dst, MqttPacket packet, MqttProtocolVersion version)
    {
        var m = MqttSpanWriter.Measuring();
        WriteBody(ref m, packet, version);
        var bodyLength = m.Position;
        var total = 1 + MqttVarInt.GetSize(bodyLength) + bodyLength;
        if (dst.Length < total)
        {
            throw new ArgumentException($"destination holds {dst.Length} bytes, packet needs {total}", nameof(dst));
        }
        dst[0] = (byte)(((byte)packet.Type << 4) | FixedHeaderFlags(packet));
        var headerLength = 1 + MqttVarInt.Write(dst[1..], bodyLength);
        var w = new MqttSpanWriter(dst.Slice(headerLength, bodyLength));
        WriteBody(ref w, packet, version);
        return total;
    }

    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var bytes = new byte[GetSize(packet, version)];
        Encode(bytes, packet, version);
        return bytes;
    }

    /// <summary>
    /// Size of a PUBLISH up to its payload: fixed header, remaining length, topic, packet id and (5.0) properties.
    /// Adding the payload length gives <see cref="GetSize"/>.
    /// </summary>
    public static int GetPublishHeaderSize(MqttPublishPacket packet, MqttProtocolVersion version)
    {
        var variableHeaderLength = MeasurePublishVariableHeader(packet, version);
        return 1 + MqttVarInt.GetSize(variableHeaderLength + packet.Payload.Length) + variableHeaderLength;
    }

    /// <summary>
    /// Writes a PUBLISH without its payload to the front of <paramref name="dst"/> and returns the byte count. The
    /// remaining length counts the payload, so these bytes followed by <see cref="MqttPublishPacket.Payload"/> are
    /// exactly what <see cref="Encode(MqttPacket, MqttProtocolVersion)"/> gives: a sender that fans one payload out
    /// to many connections keeps one payload and a small header per connection.
    /// </summary>
    public static int EncodePublishHeader(Span<byte> dst, MqttPublishPacket packet, MqttProtocolVersion version)
    {
        var variableHeaderLength = MeasurePublishVariableHeader(packet, version);
        var remainingLength = variableHeaderLength + packet.Payload.Length;
        var total = 1 + MqttVarInt.GetSize(remainingLength) + variableHeaderLength;
        if (dst.Length < total)
        {
            throw new ArgumentException($"destination holds {dst.Length} bytes, PUBLISH header needs {total}", nameof(dst));
        }
        dst[0] = (byte)(((byte)packet.Type << 4) | FixedHeaderFlags(packet));
        var fixedHeaderLength = 1 + MqttVarInt.Write(dst[1..], remainingLength);
        var w = new MqttSpanWriter(dst.Slice(fixedHeaderLength, variableHeaderLength));
        WritePublishVariableHeader(ref w, packet, version == MqttProtocolVersion.V500);
        return total;
    }

    /// <inheritdoc cref="EncodePublishHeader(Span{byte}, MqttPublishPacket, MqttProtocolVersion)"/>
    public static byte[] EncodePublishHeader(MqttPublishPacket packet, MqttProtocolVersion version)
    {
        var bytes = new byte[GetPublishHeaderSize(packet, version)];
        EncodePublishHeader(bytes, packet, version);
        return bytes;
    }

    private static int MeasurePublishVariableHeader(MqttPublishPacket packet, MqttProtocolVersion version)
    {
        var m = MqttSpanWriter.Measuring();
        WritePublishVariableHeader(ref m, packet, version == MqttProtocolVersion.V500);
        return m.Position;
    }

    // 3.1.1 section 3.3.2, 5.0 section 3.3.2: topic name, packet id (QoS 1 and 2 only), properties (5.0 only).
    private static void WritePublishVariableHeader(ref MqttSpanWriter w, MqttPublishPacket p, bool v5)
    {
        w.WriteString(p.Topic);
        if (p.Qos > MqttQos.AtMostOnce)
        {
            w.WriteUInt16(p.PacketId);
        }
        if (v5)
        {
            MqttPropertiesCodec.Write(ref w, p.Properties);
        }
    }

    private static byte FixedHeaderFlags(MqttPacket packet) => packet switch
    {
        MqttPublishPacket p => (byte)((p.Duplicate ? 0x08 : 0) | ((byte)p.Qos << 1) | (p.Retain ? 0x01 : 0)),

        // 3.1.1 section 2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry the reserved flags 0010.
        MqttPubRelPacket or MqttSubscribePacket or MqttUnsubscribePacket => 0x02,
        _ => 0,
    };

    private static void WriteBody(ref MqttSpanWriter w, MqttPacket packet, MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        switch (packet)
        {
            case MqttConnectPacket c:
                WriteConnect(ref w, c);
                break;
            case MqttConnAckPacket a:
                w.WriteByte(a.SessionPresent ? (byte)1 : (byte)0);
                w.WriteByte(a.ReasonCode);
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, a.Properties);
                }
                break;
            case MqttPublishPacket p:
                WritePublishVariableHeader(ref w, p, v5);
                w.WriteBytes(p.Payload.Span);
                break;
            case MqttAcknowledgementPacket ack:
                w.WriteUInt16(ack.PacketId);
                if (v5 && (ack.ReasonCode != MqttReasonCode.Success || ack.Properties is not null))
                {
                    w.WriteByte((byte)ack.ReasonCode);
                    if (ack.Properties is not null)
                    {
                        MqttPropertiesCodec.Write(ref w, ack.Properties);
                    }
                }
                break;
            case MqttSubscribePacket s:
                w.WriteUInt16(s.PacketId);
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, s.Properties);
                }
                foreach (var f in s.Filters)
                {
                    w.WriteString(f.Filter);
                    var options = (byte)f.Qos;
                    if (v5)
                    {
                        options |= (byte)((f.NoLocal ? 0x04 : 0) | (f.RetainAsPublished ? 0x08 : 0) | ((f.RetainHandling & 0x03) << 4));
                    }
                    w.WriteByte(options);
                }
                break;
            case MqttSubAckPacket sa:
                w.WriteUInt16(sa.PacketId);
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, sa.Properties);
                }
                foreach (var code in sa.ReasonCodes)
                {
                    w.WriteByte(code);
                }
                break;
            case MqttUnsubscribePacket u:
                w.WriteUInt16(u.PacketId);
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, u.Properties);
                }
                foreach (var f in u.Filters)
                {
                    w.WriteString(f);
                }
                break;
            case MqttUnsubAckPacket ua:
                w.WriteUInt16(ua.PacketId);
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, ua.Properties);
                    foreach (var code in ua.ReasonCodes)
                    {
                        w.WriteByte(code);
                    }
                }
                break;
            case MqttPingReqPacket or MqttPingRespPacket:
                break;
            case MqttDisconnectPacket d:
                WriteReasonAndProperties(ref w, v5, d.ReasonCode, d.Properties);
                break;
            case MqttAuthPacket au:
                if (!v5)
                {
                    throw new ArgumentException("AUTH exists only in MQTT 5.0", nameof(packet));
                }
                WriteReasonAndProperties(ref w, v5, au.ReasonCode, au.Properties);
                break;
            default:
                throw new ArgumentException("unknown packet " + packet.GetType().Name, nameof(packet));
        }
    }

    // 5.0 sections 3.14.2 and 3.15.2: reason code and properties may be left out when Success with no properties.
    private static void WriteReasonAndProperties(ref MqttSpanWriter w, bool v5, MqttReasonCode reason, MqttProperties? properties)
    {
        if (v5 && (reason != MqttReasonCode.Success || properties is not null))
        {
            w.WriteByte((byte)reason);
            if (properties is not null)
            {
                MqttPropertiesCodec.Write(ref w, properties);
            }
        }
    }

    private static void WriteConnect(ref MqttSpanWriter w, MqttConnectPacket c)
    {
        var v5 = c.ProtocolVersion == MqttProtocolVersion.V500;
        w.WriteString("MQTT");
        w.WriteByte((byte)c.ProtocolVersion);
        byte flags = 0;
        if (c.CleanSession)
        {
            flags |= 0x02;
        }
        if (c.Will is { } will)
        {
            flags |= (byte)(0x04 | ((byte)will.Qos << 3) | (will.Retain ? 0x20 : 0));
        }
        if (c.Password is not null)
        {
            flags |= 0x40;
        }
        if (c.UserName is not null)
        {
            flags |= 0x80;
        }
        w.WriteByte(flags);
        w.WriteUInt16(c.KeepAliveSeconds);
        if (v5)
        {
            MqttPropertiesCodec.Write(ref w, c.Properties);
        }
        w.WriteString(c.ClientId);
        if (c.Will is { } wl)
        {
            if (v5)
            {
                MqttPropertiesCodec.Write(ref w, wl.Properties);
            }
            w.WriteString(wl.Topic);
            w.WriteBinary(wl.Payload);
        }
        if (c.UserName is not null)
        {
            w.WriteString(c.UserName);
        }
        if (c.Password is not null)
        {
            w.WriteBinary(c.Password);
        }
    }
}
