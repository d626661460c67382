namespace Appliance.Hardware.Display;

/// <summary>
/// The I²C transfers that drive a 128×64 SSD1306 (pure). Each transfer is a control byte and at most
/// <see cref="MaxPayload"/> bytes: the size of an SMBus I²C-block write, so the same stream works on a full I²C
/// adapter and on SMBus-only ones. Commands are never split across transfers.
/// </summary>
public static class Ssd1306Encoder
{
    /// <summary>Bytes after the control byte in one transfer (I2C_SMBUS_BLOCK_MAX).</summary>
    public const int MaxPayload = 32;

    /// <summary>Power-on setup for a 128×64 panel with the internal charge pump, display still off (no garbage shown).</summary>
    public static IReadOnlyList<byte[]> Init() =>
    [
        [
            Ssd1306Command.ControlCommands,
            Ssd1306Command.DisplayOff,
            Ssd1306Command.SetClockDivide, 0x80,       // reset default ratio and oscillator
            Ssd1306Command.SetMultiplexRatio, FrameBuffer.Height - 1,
            Ssd1306Command.SetDisplayOffset, 0x00,
            Ssd1306Command.SetDisplayStartLine | 0,
            Ssd1306Command.SetChargePump, 0x14,        // most modules have no external VCC
            Ssd1306Command.SetMemoryAddressingMode, 0x00, // horizontal: the RAM pointer wraps page by page
            Ssd1306Command.SegmentRemap,               // with ComScanRemapped: the header pins at the top
            Ssd1306Command.ComScanRemapped,
            Ssd1306Command.SetComPins, 0x12,           // alternative COM pins, the 64-row wiring
            Ssd1306Command.SetContrast, 0xCF,
            Ssd1306Command.SetPrechargePeriod, 0xF1,
            Ssd1306Command.SetVcomhDeselect, 0x40,
            Ssd1306Command.EntireDisplayFollowsRam,
            Ssd1306Command.NormalDisplay,
            Ssd1306Command.DeactivateScroll,
        ],
    ];

    public static byte[] DisplayOn() => [Ssd1306Command.ControlCommands, Ssd1306Command.DisplayOn];

    public static byte[] DisplayOff() => [Ssd1306Command.ControlCommands, Ssd1306Command.DisplayOff];

    /// <summary>
    /// The transfers that bring the panel from <paramref name="previous"/> (null: unknown, send everything) to
    /// <paramref name="frame"/>: for each run of changed pages an address window, then its RAM bytes. None when equal.
    /// </summary>
    public static IReadOnlyList<byte[]> Frame(FrameBuffer frame, FrameBuffer? previous)
    {
        var writes = new List<byte[]>();
        var page = 0;
        while (page < FrameBuffer.Pages)
        {
            if (previous is not null && frame.Page(page).SequenceEqual(previous.Page(page)))
            {
                page++;
                continue;
            }
            var last = page;
            while (last + 1 < FrameBuffer.Pages && (previous is null || !frame.Page(last + 1).SequenceEqual(previous.Page(last + 1))))
            {
                last++;
            }
            writes.Add(
            [
                Ssd1306Command.ControlCommands,
                Ssd1306Command.SetColumnAddress, 0, FrameBuffer.Width - 1,
                Ssd1306Command.SetPageAddress, (byte)page, (byte)last,
            ]);
            var data = frame.Bytes.Slice(page * FrameBuffer.Width, (last - page + 1) * FrameBuffer.Width);
            for (var offset = 0; offset < data.Length; offset += MaxPayload)
            {
                var chunk = data.Slice(offset, Math.Min(MaxPayload, data.Length - offset));
                var write = new byte[chunk.Length + 1];
                write[0] = Ssd1306Command.ControlData;
                chunk.CopyTo(write.AsSpan(1));
                writes.Add(write);
            }
            page = last + 1;
        }
        return writes;
    }
}
