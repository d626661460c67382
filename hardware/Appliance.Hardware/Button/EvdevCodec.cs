using System.Buffers.Binary;
using System.Globalization;
using Appliance.Hardware.Interop;

namespace Appliance.Hardware.Button;

/// <summary>
/// Decodes evdev (linux/input.h) for one key: <c>struct input_event</c> records, and the key capability bitmap in
/// <c>/sys/class/input/eventN/device/capabilities/key</c> (pure).
/// </summary>
public static class EvdevCodec
{
    /// <summary>The size of one <c>struct input_event</c> on 64-bit Linux.</summary>
    public const int EventSize = input_event.Size;

    /// <summary>KEY_RESTART: what OpenWRT's gpio-keys device trees give a reset button.</summary>
    public const ushort KeyRestart = 0x198;

    /// <summary>
    /// The press (value 1) or release (value 0) of <paramref name="keyCode"/> in one record, or null for any other
    /// record (another key, EV_SYN, autorepeat value 2).
    /// </summary>
    public static bool? KeyState(ReadOnlySpan<byte> record, ushort keyCode)
    {
        if (record.Length < EventSize)
        {
            throw new ArgumentException($"an input_event is {EventSize} bytes, got {record.Length}", nameof(record));
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(record[input_event.TypeOffset..]) != input_event.EV_KEY
            || BinaryPrimitives.ReadUInt16LittleEndian(record[input_event.CodeOffset..]) != keyCode)
        {
            return null;
        }
        return BinaryPrimitives.ReadInt32LittleEndian(record[input_event.ValueOffset..]) switch
        {
            1 => true,
            0 => false,
            _ => null,
        };
    }

    /// <summary>Writes one record (for tests and uinput): type, code, value; the time is left zero.</summary>
    public static void Write(Span<byte> record, ushort type, ushort code, int value)
    {
        record[..EventSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(record[input_event.TypeOffset..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(record[input_event.CodeOffset..], code);
        BinaryPrimitives.WriteInt32LittleEndian(record[input_event.ValueOffset..], value);
    }

    /// <summary>
    /// True when a capability bitmap has <paramref name="bit"/> set. The kernel prints it as hex words of the machine's
    /// long, most significant first, separated by spaces (<c>"10000 0 0 0 0 0 0"</c> is bit 400 on 64-bit).
    /// </summary>
    public static bool HasCapability(string bitmap, int bit, int bitsPerWord = 64)
    {
        var words = bitmap.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var index = words.Length - 1 - bit / bitsPerWord;
        if (index < 0)
        {
            return false;
        }
        if (!ulong.TryParse(words[index], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var word))
        {
            throw new FormatException($"not a capability bitmap: '{bitmap}'");
        }
        return (word >> (bit % bitsPerWord) & 1) != 0;
    }

    /// <summary>Key names a config may use instead of a number (linux/input-event-codes.h).</summary>
    public static ushort ParseKey(string text) => text.ToLowerInvariant() switch
    {
        "restart" => KeyRestart,
        "power" => 116,
        "wps" or "wps_button" => 0x211,
        "enter" => 28,
        "space" => 57,
        "prog1" => 148,
        _ when ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is > 0 and < 0x300 => code,
        _ => throw new FormatException($"not a key: '{text}' (a number below 768, or restart, power, wps, enter, space, prog1)"),
    };
}
