using System.Globalization;
using System.Text;
using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

/// <summary>
/// The checked-in golden files under Goldens/: frames as ASCII art ('#' lit, '.' dark, one line per pixel row) and
/// SSD1306 transfer streams as annotated hex. Run with <c>APPLIANCE_UPDATE_GOLDENS=1</c> to write them from the
/// current code instead of comparing (then review the diff: it is the picture).
/// </summary>
internal static class Goldens
{
    public const string UpdateVariable = "APPLIANCE_UPDATE_GOLDENS";

    public static string Directory => RepoPaths.Combine("tests", "Appliance.Hardware.Display.Tests", "Goldens");

    private static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>Compares <paramref name="actual"/> with Goldens/<paramref name="name"/>.txt; a difference fails with both pictures.</summary>
    public static void AssertFrame(string name, FrameBuffer actual)
    {
        var path = Path.Combine(Directory, name + ".txt");
        if (Updating)
        {
            File.WriteAllText(path, actual.ToAscii());
            return;
        }
        Assert.True(File.Exists(path), $"no golden {path}: run with {UpdateVariable}=1 to write it, then review it");
        var expected = FrameBuffer.FromAscii(File.ReadAllText(path));
        if (!expected.Equals(actual))
        {
            Assert.Fail($"frame '{name}' differs from {path} ({UpdateVariable}=1 rewrites it):\n{Diff(expected, actual)}");
        }
    }

    /// <summary>Expected and actual side by side, one line per pixel row, rows that differ marked with '!'.</summary>
    public static string Diff(FrameBuffer expected, FrameBuffer actual)
    {
        var e = expected.ToAscii().Split('\n');
        var a = actual.ToAscii().Split('\n');
        var sb = new StringBuilder();
        sb.Append("   expected").Append(' ', FrameBuffer.Width - 8).Append("actual\n");
        for (var y = 0; y < FrameBuffer.Height; y++)
        {
            sb.Append(e[y] == a[y] ? "  " : "! ").Append(e[y]).Append(" | ").Append(a[y]).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Compares I²C transfers with Goldens/<paramref name="name"/>.hex (one transfer per line, '#' comments).</summary>
    public static void AssertStream(string name, IReadOnlyList<byte[]> actual)
    {
        var path = Path.Combine(Directory, name + ".hex");
        if (Updating)
        {
            File.WriteAllText(path, FormatStream(actual));
            return;
        }
        Assert.True(File.Exists(path), $"no golden {path}: run with {UpdateVariable}=1 to write it, then review it");
        var expected = ReadStream(path);
        var a = actual.Select(Convert.ToHexStringLower).ToList();
        var e = expected.Select(Convert.ToHexStringLower).ToList();
        if (!a.SequenceEqual(e))
        {
            var first = Enumerable.Range(0, Math.Max(a.Count, e.Count)).First(i => i >= a.Count || i >= e.Count || a[i] != e[i]);
            Assert.Fail($"transfers differ from {path} at #{first + 1} of {e.Count} expected / {a.Count} actual:\n"
                + $"expected: {(first < e.Count ? e[first] : "(none)")}\nactual:   {(first < a.Count ? a[first] : "(none)")}");
        }
    }

    public static IReadOnlyList<byte[]> ReadStream(string path) =>
        [.. File.ReadAllLines(path)
            .Select(l => l.Split('#')[0].Trim())
            .Where(l => l.Length > 0)
            .Select(l => Convert.FromHexString(l.Replace(" ", "", StringComparison.Ordinal)))];

    /// <summary>The transfers as hex, each annotated with what it means.</summary>
    public static string FormatStream(IReadOnlyList<byte[]> writes)
    {
        var sb = new StringBuilder();
        sb.Append("# SSD1306 I2C transfers as Iot.Device.Ssd13xx's Ssd1306 sends them through Ssd1306I2cDevice, one per line:\n");
        sb.Append("# the control byte (00: a command follows, 40: display RAM data follows), then its payload (at most 32 bytes).\n");
        sb.Append("# First the binding's constructor (its power-on sequence, for a 128x32 panel, and a clear of all 8 pages), then\n");
        sb.Append("# the 128x64 setup (Ssd1306Plan.Setup), the first frame, display on. Written by tests/Appliance.Hardware.Display.Tests\n");
        sb.Append("# (").Append(UpdateVariable).Append("=1).\n");
        var page = 0;
        var column = 0;
        foreach (var w in writes)
        {
            string what;
            if (w[0] == Ssd1306Command.ControlData)
            {
                what = string.Create(CultureInfo.InvariantCulture, $"RAM page {page} columns {column}..{column + w.Length - 2}");
                column += w.Length - 1;
                if (column >= FrameBuffer.Width)
                {
                    column -= FrameBuffer.Width;
                    page++;
                }
            }
            else
            {
                if (w.Length == 4 && w[1] == Ssd1306Command.SetColumnAddress)
                {
                    column = w[2];
                }
                else if (w.Length == 4 && w[1] == Ssd1306Command.SetPageAddress)
                {
                    page = w[2];
                }
                what = Command(w.AsSpan(1));
            }
            sb.Append(string.Join(' ', w.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))).Append("  # ").Append(what).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>What one SSD1306 command means (datasheet section 10), for the annotations.</summary>
    private static string Command(ReadOnlySpan<byte> c) => c[0] switch
    {
        0xAE => "display off",
        0xAF => "display on",
        0xD5 => $"clock: divide ratio {(c[1] & 0xF) + 1}, oscillator {c[1] >> 4}",
        0xA8 => $"multiplex ratio: {c[1] + 1} rows",
        0xD3 => $"display offset {c[1]}",
        >= 0x40 and <= 0x7F => $"start line {c[0] - 0x40}",
        0x8D => c[1] == 0x14 ? "charge pump on" : "charge pump off",
        0x20 => c[1] switch { 0 => "addressing: horizontal", 1 => "addressing: vertical", _ => "addressing: page" },
        0xA0 or 0xA1 => c[0] == 0xA1 ? "segment remap: column 127 is SEG0" : "segment remap: column 0 is SEG0",
        0xC0 or 0xC8 => c[0] == 0xC8 ? "COM scan: remapped" : "COM scan: normal",
        0xDA => (c[1] & 0x10) != 0 ? "COM pins: alternative (64 rows)" : "COM pins: sequential (32 rows)",
        0x81 => $"contrast 0x{c[1]:x2}",
        0xD9 => $"precharge: phase 1 {c[1] & 0xF}, phase 2 {c[1] >> 4}",
        0xDB => $"VCOMH deselect 0x{c[1]:x2}",
        0xA4 => "follow RAM",
        0xA5 => "entire display on",
        0xA6 => "normal (not inverted)",
        0xA7 => "inverted",
        0x2E => "no scroll",
        0x21 => $"columns {c[1]}..{c[2]}",
        0x22 => $"pages {c[1]}..{c[2]}",
        _ => "?",
    };
}
