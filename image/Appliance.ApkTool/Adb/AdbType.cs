namespace Appliance.ApkTool.Adb;

/// <summary>
/// The type codes in the high four bits of an ADB value word (apk-tools 3, apk-v3(5) "WIRE FORMAT"); the low 28 bits
/// hold the value itself (Special, Int) or the offset of the value in the ADB block (every other type).
/// </summary>
public static class AdbType
{
    public const uint Special = 0x0000_0000;
    public const uint Int = 0x1000_0000;
    public const uint Int32 = 0x2000_0000;
    public const uint Int64 = 0x3000_0000;
    public const uint Blob8 = 0x8000_0000;
    public const uint Blob16 = 0x9000_0000;
    public const uint Blob32 = 0xa000_0000;
    public const uint Array = 0xd000_0000;
    public const uint Object = 0xe000_0000;
    public const uint TypeMask = 0xf000_0000;
    public const uint ValueMask = 0x0fff_ffff;

    /// <summary>The null value (Special 0): an absent field.</summary>
    public const uint Null = 0;

    public static uint TypeOf(uint value) => value & TypeMask;

    public static uint ValueOf(uint value) => value & ValueMask;
}
