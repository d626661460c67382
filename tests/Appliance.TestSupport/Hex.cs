using System.Globalization;
using System.Text;

namespace Appliance.TestSupport;

/// <summary>
/// Golden-byte helper shared by every wire-format test: annotated hex to bytes, and bytes to hex that makes a
/// failing assertion readable. An annotation starts at '#' or '|' and runs to the end of its line:
/// <c>"0c 00 01 00  | nlattr len=12 WGDEVICE_A_IFNAME"</c> or <c>"c0 0c  # pointer to offset 12"</c>.
/// </summary>
public static class Hex
{
    /// <summary>Annotated hex to bytes; whitespace and annotations are ignored, anything else that is not hex throws.</summary>
    public static byte[] Parse(string annotated)
    {
        var sb = new StringBuilder(annotated.Length);
        foreach (var line in annotated.Split('\n'))
        {
            var end = line.AsSpan().IndexOfAny('#', '|');
            var code = end < 0 ? line : line[..end];
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

    /// <summary>Space-separated lower-case bytes ("30 02 00 7b"), the form golden frames are written in.</summary>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }
            sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Offset-prefixed lines of 16 bytes, so xunit's string diff points at the differing line.</summary>
    public static string Lines(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < bytes.Length; i += 16)
        {
            var chunk = bytes[i..Math.Min(bytes.Length, i + 16)];
            sb.Append(i.ToString("x4", CultureInfo.InvariantCulture)).Append(": ").AppendLine(Convert.ToHexStringLower(chunk));
        }
        return sb.ToString();
    }

    /// <summary>Asserts <paramref name="actual"/> is the annotated hex <paramref name="expectedAnnotated"/>, diffing 16-byte lines.</summary>
    public static void Equal(string expectedAnnotated, ReadOnlySpan<byte> actual) => Equal(Parse(expectedAnnotated), actual);

    /// <summary>Asserts the bytes are equal, diffing 16-byte lines.</summary>
    public static void Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        if (!expected.SequenceEqual(actual))
        {
            Assert.Equal(Lines(expected), Lines(actual));
        }
    }
}
