using System.Globalization;

namespace Appliance.Hardware.Button;

/// <summary>
/// A button on a bare GPIO line: <c>gpio:&lt;chip&gt;:&lt;line&gt;[:active-high|:active-low]</c> (<c>/dev/gpiochip&lt;chip&gt;</c>),
/// or <c>gpio:&lt;line&gt;</c> for line N of gpiochip0. Active low (a button to ground with the pull-up) unless said.
/// </summary>
public sealed record GpioButtonAddress(int Chip, uint Line, bool? ActiveLow)
{
    /// <summary>Chip numbers above this are refused (a board has a handful; the bound keeps the path sane).</summary>
    public const int MaxChip = 1023;

    /// <summary>A chip has at most 65535 lines (gpiolib's ngpio is a u16).</summary>
    public const uint MaxLine = 65534;

    public string ChipPath => "/dev/gpiochip" + Chip.ToString(CultureInfo.InvariantCulture);

    public override string ToString() =>
        FormattableString.Invariant($"gpio:{Chip}:{Line}") + (ActiveLow switch { true => ":active-low", false => ":active-high", null => "" });

    /// <summary>Parses the forms above; false with <paramref name="error"/> saying what was wrong.</summary>
    public static bool TryParse(string text, out GpioButtonAddress address, out string error)
    {
        address = null!;
        error = "";
        if (!text.StartsWith("gpio:", StringComparison.Ordinal) || text.Length > 64)
        {
            error = $"'{text}' is not gpio:<chip>:<line>[:active-high]";
            return false;
        }
        var parts = text[5..].Split(':');
        bool? activeLow = null;
        if (parts.Length == 3)
        {
            activeLow = parts[2] switch { "active-high" => false, "active-low" => true, _ => null };
            if (activeLow is null)
            {
                error = $"'{text}': the polarity is active-high or active-low, not '{parts[2]}'";
                return false;
            }
        }
        else if (parts.Length is not (1 or 2))
        {
            error = $"'{text}' is not gpio:<chip>:<line>[:active-high]";
            return false;
        }
        var chip = 0;
        if (parts.Length >= 2 && !(int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out chip) && chip <= MaxChip))
        {
            error = $"'{text}': the chip is a number 0..{MaxChip} (/dev/gpiochipN), not '{parts[0]}'";
            return false;
        }
        var lineText = parts.Length == 1 ? parts[0] : parts[1];
        if (!uint.TryParse(lineText, NumberStyles.None, CultureInfo.InvariantCulture, out var line) || line > MaxLine)
        {
            error = $"'{text}': the line is a number 0..{MaxLine}, not '{lineText}'";
            return false;
        }
        address = new GpioButtonAddress(chip, line, activeLow);
        return true;
    }
}
