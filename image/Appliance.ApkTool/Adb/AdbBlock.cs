namespace Appliance.ApkTool.Adb;

/// <summary>
/// The container around ADB values (apk-v3(5) "BLOCKS"): the file starts with the magic <c>ADB.</c> and a four-byte
/// schema id, then blocks, each a little-endian word of two type bits and a 30-bit size that counts the word itself,
/// padded to 8 bytes. An extended header (type 3) carries the real type in the low bits and a 64-bit size.
/// </summary>
public static class AdbBlock
{
    public const uint Adb = 0;
    public const uint Signature = 1;
    public const uint Data = 2;
    public const uint Extended = 3;

    /// <summary><c>ADB.</c> as a little-endian word.</summary>
    public const uint FormatMagic = 0x2e42_4441;

    /// <summary>The package schema, <c>pckg</c>.</summary>
    public const uint PackageSchema = 0x676b_6370;

    public const int Alignment = 8;

    /// <summary>The largest payload a plain (not extended) header can describe.</summary>
    public const long MaxPlainPayload = 0x3fff_ffff - sizeof(uint);

    public static int Padding(long rawSize) => (int)((Alignment - (rawSize % Alignment)) % Alignment);

    public static string Name(uint type) => type switch
    {
        Adb => "ADB",
        Signature => "SIG",
        Data => "DATA",
        _ => $"type {type}",
    };
}
