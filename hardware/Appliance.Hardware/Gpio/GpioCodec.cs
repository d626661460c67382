using System.Buffers.Binary;
using System.Text;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Gpio;

/// <summary>
/// Encodes and decodes the GPIO character device v2 structs (linux/gpio.h; pure, over spans): the line request
/// <c>GPIO_V2_GET_LINE_IOCTL</c> takes, the edge events read from the line's descriptor, and the chip info.
/// </summary>
public static class GpioCodec
{
    public const int RequestSize = gpio_v2.RequestSize;
    public const int EventSize = gpio_v2.EventSize;
    public const int ChipInfoSize = gpio_v2.ChipInfoSize;

    /// <summary>Events the kernel keeps for the line before it drops some (its default is 16 per line).</summary>
    public const uint EventBufferSize = 16;

    /// <summary>
    /// Writes a <c>struct gpio_v2_line_request</c> for one input line with both-edge detection, the bias, active-low
    /// and (when not zero) the debounce attribute. <c>fd</c> is -1 until the kernel fills it in.
    /// </summary>
    public static void WriteLineRequest(Span<byte> dst, GpioLineRequest request)
    {
        if (dst.Length < RequestSize)
        {
            throw new ArgumentException($"a gpio_v2_line_request is {RequestSize} bytes, got {dst.Length}", nameof(dst));
        }
        if (request.Debounce < TimeSpan.Zero || request.Debounce > GpioLineRequest.MaxDebounce)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"debounce must be 0..{GpioLineRequest.MaxDebounce.TotalMilliseconds} ms, not {request.Debounce.TotalMilliseconds} ms");
        }
        var consumer = Encoding.UTF8.GetBytes(request.Consumer);
        if (consumer.Length is 0 || consumer.Length >= gpio_v2.GPIO_MAX_NAME_SIZE || consumer.Contains((byte)0))
        {
            throw new ArgumentException($"the consumer name must be 1..{gpio_v2.GPIO_MAX_NAME_SIZE - 1} bytes, not '{request.Consumer}'", nameof(request));
        }
        var r = dst[..RequestSize];
        r.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(r[gpio_v2.RequestOffsets..], request.Line);
        consumer.CopyTo(r[gpio_v2.RequestConsumer..]);

        var config = r[gpio_v2.RequestConfig..];
        var flags = gpio_v2.GPIO_V2_LINE_FLAG_INPUT | gpio_v2.GPIO_V2_LINE_FLAG_EDGE_RISING | gpio_v2.GPIO_V2_LINE_FLAG_EDGE_FALLING
            | (request.ActiveLow ? gpio_v2.GPIO_V2_LINE_FLAG_ACTIVE_LOW : 0)
            | request.Bias switch
            {
                GpioBias.PullUp => gpio_v2.GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
                GpioBias.PullDown => gpio_v2.GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
                GpioBias.Disabled => gpio_v2.GPIO_V2_LINE_FLAG_BIAS_DISABLED,
                _ => 0UL,
            };
        BinaryPrimitives.WriteUInt64LittleEndian(config[gpio_v2.ConfigFlags..], flags);
        var debounceUs = (uint)(request.Debounce.Ticks / TimeSpan.TicksPerMicrosecond);
        if (debounceUs > 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(config[gpio_v2.ConfigNumAttrs..], 1);
            var attr = config[gpio_v2.ConfigAttrs..];
            BinaryPrimitives.WriteUInt32LittleEndian(attr[gpio_v2.AttrId..], gpio_v2.GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
            BinaryPrimitives.WriteUInt32LittleEndian(attr[gpio_v2.AttrValue..], debounceUs);
            // The attribute applies to the request's lines whose bit is set: line index 0, the only one.
            BinaryPrimitives.WriteUInt64LittleEndian(attr[gpio_v2.AttrMask..], 1);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(r[gpio_v2.RequestNumLines..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(r[gpio_v2.RequestEventBufferSize..], EventBufferSize);
        BinaryPrimitives.WriteInt32LittleEndian(r[gpio_v2.RequestFd..], -1);
    }

    /// <summary>The line descriptor the kernel wrote into a request it granted.</summary>
    public static int ReadRequestFd(ReadOnlySpan<byte> request) => BinaryPrimitives.ReadInt32LittleEndian(request[gpio_v2.RequestFd..]);

    /// <summary>Decodes one <c>struct gpio_v2_line_event</c>; an event id other than rising or falling is malformed.</summary>
    public static GpioLineEvent ReadEvent(ReadOnlySpan<byte> record)
    {
        if (record.Length < EventSize)
        {
            throw new ArgumentException($"a gpio_v2_line_event is {EventSize} bytes, got {record.Length}", nameof(record));
        }
        var id = BinaryPrimitives.ReadUInt32LittleEndian(record[gpio_v2.EventId..]);
        if (id is not (gpio_v2.GPIO_V2_LINE_EVENT_RISING_EDGE or gpio_v2.GPIO_V2_LINE_EVENT_FALLING_EDGE))
        {
            throw new FormatException($"gpio_v2_line_event id {id} is neither rising (1) nor falling (2)");
        }
        return new GpioLineEvent(
            BinaryPrimitives.ReadUInt64LittleEndian(record[gpio_v2.EventTimestamp..]),
            id == gpio_v2.GPIO_V2_LINE_EVENT_RISING_EDGE,
            BinaryPrimitives.ReadUInt32LittleEndian(record[gpio_v2.EventOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(record[gpio_v2.EventSeqno..]));
    }

    /// <summary>Writes one event record as the kernel would (for fakes and tests); line_seqno = seqno (one line).</summary>
    public static void WriteEvent(Span<byte> record, GpioLineEvent e)
    {
        record[..EventSize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(record[gpio_v2.EventTimestamp..], e.TimestampNs);
        BinaryPrimitives.WriteUInt32LittleEndian(record[gpio_v2.EventId..], e.Rising ? gpio_v2.GPIO_V2_LINE_EVENT_RISING_EDGE : gpio_v2.GPIO_V2_LINE_EVENT_FALLING_EDGE);
        BinaryPrimitives.WriteUInt32LittleEndian(record[gpio_v2.EventOffset..], e.Line);
        BinaryPrimitives.WriteUInt32LittleEndian(record[gpio_v2.EventSeqno..], e.Seqno);
        BinaryPrimitives.WriteUInt32LittleEndian(record[gpio_v2.EventLineSeqno..], e.Seqno);
    }

    /// <summary>Decodes <c>struct gpiochip_info</c> (names are NUL-terminated within their 32 bytes).</summary>
    public static GpioChipInfo ReadChipInfo(ReadOnlySpan<byte> info)
    {
        if (info.Length < ChipInfoSize)
        {
            throw new ArgumentException($"a gpiochip_info is {ChipInfoSize} bytes, got {info.Length}", nameof(info));
        }
        return new GpioChipInfo(CString(info.Slice(gpio_v2.ChipInfoName, gpio_v2.GPIO_MAX_NAME_SIZE)), CString(info.Slice(gpio_v2.ChipInfoLabel, gpio_v2.GPIO_MAX_NAME_SIZE)),
            BinaryPrimitives.ReadUInt32LittleEndian(info[gpio_v2.ChipInfoLines..]));
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}
