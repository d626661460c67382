using Iot.Device.Ssd13xx.Commands;
using Ssd1306Commands = Iot.Device.Ssd13xx.Commands.Ssd1306Commands;

namespace Appliance.Hardware.Display;

/// <summary>
/// What to send to a 128×64 SSD1306 (pure): the setup commands, as Iot.Device.Ssd13xx command objects, and which
/// runs of display RAM pages a new frame changed. <see cref="StatusDisplay"/> sends them through the binding.
/// </summary>
public static class Ssd1306Plan
{
    /// <summary>
    /// Setup for a 128×64 panel with the internal charge pump, display left off (no garbage shown). Sent after the
    /// binding's own power-on sequence, which is for a 128×32 panel (multiplex 32, sequential COM pins) and switches
    /// the panel on, and again whenever a display that stopped answering answers again (it may have been power-cycled).
    /// </summary>
    public static IReadOnlyList<ICommand> Setup() =>
    [
        new SetDisplayOff(),
        new Ssd1306Commands.SetDisplayClockDivideRatioOscillatorFrequency(0x00, 0x08), // D5 80: reset default
        new SetMultiplexRatio(FrameBuffer.Height - 1),
        new Ssd1306Commands.SetDisplayOffset(0x00),
        new Ssd1306Commands.SetDisplayStartLine(0x00),
        new Ssd1306Commands.SetChargePump(true), // most modules have no external VCC
        new Ssd1306Commands.SetMemoryAddressingMode(Ssd1306Commands.SetMemoryAddressingMode.AddressingMode.Horizontal), // the RAM pointer wraps page by page
        new Ssd1306Commands.SetSegmentReMap(true), // with the remapped COM scan: the header pins at the top
        new Ssd1306Commands.SetComOutputScanDirection(false),
        new Ssd1306Commands.SetComPinsHardwareConfiguration(true, false), // alternative COM pins: the 64-row wiring
        new SetContrastControlForBank0(0xCF),
        new Ssd1306Commands.SetPreChargePeriod(0x01, 0x0F), // D9 F1
        new Ssd1306Commands.SetVcomhDeselectLevel(Ssd1306Commands.SetVcomhDeselectLevel.DeselectLevel.Vcc1_00), // DB 40
        new Ssd1306Commands.EntireDisplayOn(false), // A4: the panel follows RAM
        new Ssd1306Commands.SetNormalDisplay(),
        new DeactivateScroll(),
    ];

    /// <summary>
    /// The runs of pages that differ between <paramref name="frame"/> and <paramref name="previous"/> (null: unknown,
    /// all eight in one run), in order; none when equal. Each run is sent as one address window and its RAM bytes.
    /// </summary>
    public static IReadOnlyList<Ssd1306Window> ChangedPages(FrameBuffer frame, FrameBuffer? previous)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var windows = new List<Ssd1306Window>();
        var page = 0;
        while (page < FrameBuffer.Pages)
        {
            if (!Changed(frame, previous, page))
            {
                page++;
                continue;
            }
            var last = page;
            while (last + 1 < FrameBuffer.Pages && Changed(frame, previous, last + 1))
            {
                last++;
            }
            windows.Add(new Ssd1306Window(page, last));
            page = last + 1;
        }
        return windows;
    }

    private static bool Changed(FrameBuffer frame, FrameBuffer? previous, int page) =>
        previous is null || !frame.Page(page).SequenceEqual(previous.Page(page));
}
