using System.Text.RegularExpressions;

namespace Appliance.Dns.Tests;

/// <summary>Annotated hex for golden frames: "c0 0c  # pointer to offset 12" — comments and whitespace are ignored.</summary>
internal static partial class Hex
{
    public static byte[] Parse(string annotated) =>
        Convert.FromHexString(Spaces().Replace(Comments().Replace(annotated, ""), ""));

    /// <summary>A readable diff: the first differing offset and both sides around it.</summary>
    public static void Equal(byte[] expected, ReadOnlySpan<byte> actual)
    {
        if (expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }
        var i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i])
        {
            i++;
        }
        var from = Math.Max(0, i - 8);
        Assert.Fail($"wire bytes differ at offset {i} (expected {expected.Length} bytes, got {actual.Length})\n"
            + $"expected ...{Convert.ToHexString(expected.AsSpan(from, Math.Min(24, expected.Length - from)))}\n"
            + $"actual   ...{Convert.ToHexString(actual.Slice(from, Math.Min(24, actual.Length - from)))}");
    }

    [GeneratedRegex("#[^\n]*")]
    private static partial Regex Comments();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
