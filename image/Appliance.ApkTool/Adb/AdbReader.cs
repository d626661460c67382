using System.Buffers.Binary;

namespace Appliance.ApkTool.Adb;

/// <summary>
/// Reads values out of one ADB block. Every offset, length and slot count is checked against the block before it is
/// followed, so a hostile block gives an <see cref="AdbFormatException"/> naming the value, never a read past its end.
/// Pure: no I/O.
/// </summary>
public sealed class AdbReader
{
    private readonly ReadOnlyMemory<byte> _block;

    public AdbReader(ReadOnlyMemory<byte> block)
    {
        if (block.Length < AdbWriter.HeaderLength)
        {
            throw new AdbFormatException($"the ADB block is {block.Length} bytes, shorter than its {AdbWriter.HeaderLength}-byte header");
        }
        var span = block.Span;
        if (span[0] != 0)
        {
            throw new AdbFormatException($"the ADB block's compat version is {span[0]}; only 0 is read");
        }
        _block = block;
        Root = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
    }

    /// <summary>The root value (for a package, the package object).</summary>
    public uint Root { get; }

    public int Length => _block.Length;

    /// <summary>An integer value; null reads as 0.</summary>
    public ulong ReadInt(uint value, string what)
    {
        switch (AdbType.TypeOf(value))
        {
            case AdbType.Special when value == AdbType.Null:
                return 0;
            case AdbType.Int:
                return AdbType.ValueOf(value);
            case AdbType.Int32:
                return BinaryPrimitives.ReadUInt32LittleEndian(Slice(value, 0, 4, what));
            case AdbType.Int64:
                return BinaryPrimitives.ReadUInt64LittleEndian(Slice(value, 0, 8, what));
            default:
                throw new AdbFormatException($"{what}: expected an integer, found {Describe(value)}");
        }
    }

    /// <summary>A blob value; null reads as empty.</summary>
    public ReadOnlyMemory<byte> ReadBlob(uint value, string what)
    {
        int prefix;
        switch (AdbType.TypeOf(value))
        {
            case AdbType.Special when value == AdbType.Null:
                return ReadOnlyMemory<byte>.Empty;
            case AdbType.Blob8: prefix = 1; break;
            case AdbType.Blob16: prefix = 2; break;
            case AdbType.Blob32: prefix = 4; break;
            default:
                throw new AdbFormatException($"{what}: expected a blob, found {Describe(value)}");
        }
        var head = Slice(value, 0, prefix, what);
        long length = prefix switch
        {
            1 => head[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(head),
            _ => BinaryPrimitives.ReadUInt32LittleEndian(head),
        };
        var start = (long)AdbType.ValueOf(value) + prefix;
        if (start + length > _block.Length)
        {
            throw new AdbFormatException($"{what}: a {length}-byte blob at offset {start} runs past the end of the {_block.Length}-byte ADB block");
        }
        return _block.Slice((int)start, (int)length);
    }

    /// <summary>
    /// The slots of an object or array (index 0 is the slot count, so slot i is field i); null reads as no slots.
    /// apk mkpkg tags some arrays as objects, so either tag is taken for either.
    /// </summary>
    public uint[] ReadSlots(uint value, string what)
    {
        if (value == AdbType.Null)
        {
            return [1];
        }
        if (AdbType.TypeOf(value) is not (AdbType.Object or AdbType.Array))
        {
            throw new AdbFormatException($"{what}: expected an object or array, found {Describe(value)}");
        }
        var count = BinaryPrimitives.ReadUInt32LittleEndian(Slice(value, 0, 4, what));
        if (count == 0)
        {
            throw new AdbFormatException($"{what}: an object with a slot count of 0 (the count is itself slot 0)");
        }
        var start = (long)AdbType.ValueOf(value);
        if (start + (count * 4L) > _block.Length)
        {
            throw new AdbFormatException($"{what}: {count} slots at offset {start} run past the end of the {_block.Length}-byte ADB block");
        }
        var slots = new uint[count];
        var span = _block.Span.Slice((int)start, (int)count * 4);
        for (var i = 0; i < count; i++)
        {
            slots[i] = BinaryPrimitives.ReadUInt32LittleEndian(span[(i * 4)..]);
        }
        return slots;
    }

    /// <summary>Slot <paramref name="index"/> of <paramref name="slots"/>, or null past the object's end.</summary>
    public static uint Slot(uint[] slots, int index) => index < slots.Length ? slots[index] : AdbType.Null;

    private ReadOnlySpan<byte> Slice(uint value, int at, int length, string what)
    {
        var start = (long)AdbType.ValueOf(value) + at;
        if (start < AdbWriter.HeaderLength || start + length > _block.Length)
        {
            throw new AdbFormatException($"{what}: {Describe(value)} points outside the {_block.Length}-byte ADB block");
        }
        return _block.Span.Slice((int)start, length);
    }

    private static string Describe(uint value) => $"value 0x{value:x8} (type 0x{AdbType.TypeOf(value) >> 28:x}, offset {AdbType.ValueOf(value)})";
}
