using System.Globalization;

namespace Appliance.Hardware.Display;

/// <summary>
/// Where the display is: an I²C bus (<c>/dev/i2c-N</c>) and a 7-bit address, written <c>i2c-1:0x3c</c>
/// (the address may be left out: 0x3c, what almost every SSD1306 module is strapped to; the other one is 0x3d).
/// </summary>
public sealed record DisplayAddress(int Bus, int Address)
{
    public const int DefaultAddress = 0x3C;

    /// <summary>Highest bus number accepted; the kernel numbers adapters from 0, a board has a handful.</summary>
    public const int MaxBus = 1023;

    private const int MaxLength = 32;

    public string DevicePath => $"/dev/i2c-{Bus.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => $"i2c-{Bus.ToString(CultureInfo.InvariantCulture)}:0x{Address:x2}";

    /// <summary>Parses <c>i2c-N[:ADDR]</c> (ADDR as 0x3c or 60); a bad value is an error that says what is wrong with it.</summary>
    public static DisplayAddress Parse(string text)
    {
        if (!TryParse(text, out var address, out var error))
        {
            throw new FormatException(error);
        }
        return address;
    }

    public static bool TryParse(string? text, out DisplayAddress address, out string error)
    {
        address = new DisplayAddress(0, DefaultAddress);
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            error = $"a display is i2c-N[:ADDR] (e.g. i2c-1:0x3c), not '{Shown(text)}'";
            return false;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var busPart = colon < 0 ? text : text[..colon];
        if (!busPart.StartsWith("i2c-", StringComparison.Ordinal)
            || !int.TryParse(busPart.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var bus)
            || bus > MaxBus)
        {
            error = $"the display's bus must be i2c-N with N 0..{MaxBus} (/dev/i2c-N), not '{Shown(busPart)}'";
            return false;
        }
        var at = DefaultAddress;
        if (colon >= 0)
        {
            var part = text[(colon + 1)..];
            var ok = part.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? int.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out at) && part.Length > 2
                : int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out at);
            // 0x00-0x07 and 0x78-0x7f are reserved by the I2C specification (general call, 10-bit addressing...).
            if (!ok || at is < 0x08 or > 0x77)
            {
                error = $"the display's address must be a 7-bit I2C address 0x08..0x77 (SSD1306: 0x3c or 0x3d), not '{Shown(part)}'";
                return false;
            }
        }
        address = new DisplayAddress(bus, at);
        error = "";
        return true;
    }

    private static string Shown(string? s) => s is null ? "" : s.Length > MaxLength ? s[..MaxLength] + "..." : s;
}
