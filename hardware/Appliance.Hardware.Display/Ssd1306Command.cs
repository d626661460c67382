namespace Appliance.Hardware.Display;

/// <summary>SSD1306 command bytes and I²C control bytes (SSD1306 datasheet rev 1.1, §8.1.5.2 and §10).</summary>
public static class Ssd1306Command
{
    /// <summary>Control byte: Co = 0, D/C# = 0 — every byte that follows in this transfer is a command.</summary>
    public const byte ControlCommands = 0x00;

    /// <summary>Control byte: Co = 0, D/C# = 1 — every byte that follows in this transfer is display RAM data.</summary>
    public const byte ControlData = 0x40;

    public const byte SetMemoryAddressingMode = 0x20; // + mode: 0 horizontal
    public const byte SetColumnAddress = 0x21;        // + start, end
    public const byte SetPageAddress = 0x22;          // + start, end
    public const byte DeactivateScroll = 0x2E;
    public const byte SetDisplayStartLine = 0x40;     // | line
    public const byte SetContrast = 0x81;             // + level
    public const byte SetChargePump = 0x8D;           // + 0x14 on, 0x10 off
    public const byte SegmentRemap = 0xA1;            // column 127 is SEG0
    public const byte EntireDisplayFollowsRam = 0xA4;
    public const byte NormalDisplay = 0xA6;
    public const byte SetMultiplexRatio = 0xA8;       // + ratio - 1
    public const byte DisplayOff = 0xAE;
    public const byte DisplayOn = 0xAF;
    public const byte ComScanRemapped = 0xC8;         // scan from COM[N-1] to COM0
    public const byte SetDisplayOffset = 0xD3;        // + offset
    public const byte SetClockDivide = 0xD5;          // + ratio/frequency
    public const byte SetPrechargePeriod = 0xD9;      // + phases
    public const byte SetComPins = 0xDA;              // + configuration
    public const byte SetVcomhDeselect = 0xDB;        // + level
}
