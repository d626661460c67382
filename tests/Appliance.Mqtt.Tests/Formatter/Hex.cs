namespace Appliance.Mqtt.Tests.Formatter;

/// <summary>Spaced lower-case hex for golden frames, so a failing assertion shows a readable diff.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Format(ReadOnlySpan<byte> bytes)
        => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
