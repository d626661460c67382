namespace Appliance.Hardware.Interop;

/// <summary>
/// linux/input.h <c>struct input_event</c> on 64-bit Linux: <c>struct timeval time</c> (tv_sec, tv_usec: 8 bytes
/// each), <c>__u16 type</c>, <c>__u16 code</c>, <c>__s32 value</c> = 24 bytes, little-endian on x86-64 and arm64.
/// </summary>
internal static class input_event
{
    public const int Size = 24;
    public const int TypeOffset = 16;
    public const int CodeOffset = 18;
    public const int ValueOffset = 20;

    public const ushort EV_SYN = 0x00;
    public const ushort EV_KEY = 0x01;
    public const ushort EV_LED = 0x11;
}
