using System.Text;

namespace Appliance.WireGuard.Tests;

/// <summary>Golden-byte helper: annotated hex ("hex | comment" lines) to bytes, and bytes to 16-byte hex lines for readable diffs.</summary>
public static class Hex
{
    public static byte[] Parse(string annotated)
    {
        var sb = new StringBuilder();
        foreach (var line in annotated.Split('\n'))
        {
            var code = line.Split('|')[0];
            foreach (var c in code)
            {
                if (Uri.IsHexDigit(c))
                {
                    sb.Append(c);
                }
                else if (!char.IsWhiteSpace(c))
                {
                    throw new FormatException($"not hex: '{c}' in line '{line}'");
                }
            }
        }
        return Convert.FromHexString(sb.ToString());
    }

    /// <summary>Lines of 16 bytes, so xunit's string diff points at the differing line.</summary>
    public static string Lines(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < bytes.Length; i += 16)
        {
            var chunk = bytes[i..Math.Min(bytes.Length, i + 16)];
            sb.Append(i.ToString("x4", System.Globalization.CultureInfo.InvariantCulture)).Append(": ").AppendLine(Convert.ToHexStringLower(chunk));
        }
        return sb.ToString();
    }

    public static void Equal(string expectedAnnotated, ReadOnlySpan<byte> actual) =>
        Assert.Equal(Lines(Parse(expectedAnnotated)), Lines(actual));
}
