namespace Appliance.Mqtt.Formatter;

/// <summary>The MQTT variable byte integer (3.1.1 section 2.2.3, 5.0 section 1.5.5): 7 bits per byte, at most 4 bytes.</summary>
public static class MqttVarInt
{
    /// <summary>Largest value that fits in 4 bytes: 268,435,455.</summary>
    public const int MaxValue = 268_435_455;

    public static int GetSize(int value) => value switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(value)),
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        <= MaxValue => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public static int Write(Span<byte> dst, int value)
    {
        var size = GetSize(value);
        for (var i = 0; i < size; i++)
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            dst[i] = i < size - 1 ? (byte)(b | 0x80) : b;
        }
        return size;
    }

    /// <summary>Reads a variable byte integer from the front of <paramref name="src"/>.</summary>
    /// <returns>Complete, NeedMoreData when the span ends mid-integer, Malformed when a 4th byte still has the continuation bit or the encoding is longer than needed.</returns>
    public static MqttDecodeStatus TryRead(ReadOnlySpan<byte> src, out int value, out int bytesRead)
    {
        value = 0;
        bytesRead = 0;
        var multiplier = 1;
        for (var i = 0; i < 4; i++)
        {
            if (i >= src.Length)
            {
                return MqttDecodeStatus.NeedMoreData;
            }
            var b = src[i];
            value += (b & 0x7F) * multiplier;
            multiplier <<= 7;
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0)
                {
                    // 5.0 section 1.5.5: the encoding must use the minimum number of bytes; a trailing 00 could be dropped.
                    value = 0;
                    return MqttDecodeStatus.Malformed;
                }
                bytesRead = i + 1;
                return MqttDecodeStatus.Complete;
            }
        }
        value = 0;
        return MqttDecodeStatus.Malformed;
    }
}
