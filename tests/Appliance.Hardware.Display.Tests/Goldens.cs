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
        sb.Append("# SSD1306 I2C transfers, one per line: the control byte (00: commands follow, 40: display RAM data follows),\n");
        sb.Append("# then its payload. Written by tests/Appliance.Hardware.Display.Tests (").Append(UpdateVariable).Append("=1).\n");
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
            else if (w.Length >= 7 && w[1] == Ssd1306Command.SetColumnAddress && w[4] == Ssd1306Command.SetPageAddress)
            {
                what = string.Create(CultureInfo.InvariantCulture, $"window: columns {w[2]}..{w[3]}, pages {w[5]}..{w[6]}");
                page = w[5];
                column = w[2];
            }
            else if (w.Length == 2 && w[1] == Ssd1306Command.DisplayOn)
            {
                what = "display on";
            }
            else if (w.Length == 2 && w[1] == Ssd1306Command.DisplayOff)
            {
                what = "display off";
            }
            else
            {
                what = "init: off, clock, mux 64, offset 0, start line 0, charge pump, horizontal, remap, COM pins, contrast, precharge, VCOMH, follow RAM, normal, no scroll";
            }
            sb.Append(string.Join(' ', w.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))).Append("  # ").Append(what).Append('\n');
        }
        return sb.ToString();
    }
}
