using System.Buffers.Binary;

namespace Appliance.ApkTool.Adb;

/// <summary>
/// Builds an ADB block: values are appended as they are written (children before the object that points at them),
/// each aligned to its size, and an identical byte sequence already in the block is pointed at again instead of being
/// written twice — the layout apk-tools 3 writes, so the same calls in the same order give the same bytes as
/// <c>apk mkpkg</c>. Pure: no I/O.
/// </summary>
public sealed class AdbWriter
{
    /// <summary>Offsets live in the low 28 bits of a value word, so a block cannot grow past this.</summary>
    public const int MaxBlockLength = (int)AdbType.ValueMask;

    /// <summary>The block header (compat version, version, reserved, root value).</summary>
    public const int HeaderLength = 8;

    private readonly Dictionary<byte[], int> _written = new(ByteSequenceComparer.Instance);
    private byte[] _buffer = new byte[8192];
    private int _length;

    public AdbWriter()
    {
        // adb_compat_ver 0 and adb_ver 0; readers refuse any other compat version.
        _length = HeaderLength;
    }

    /// <summary>The block so far: header, then the values.</summary>
    public ReadOnlySpan<byte> Block => _buffer.AsSpan(0, _length);

    /// <summary>A blob (string or bytes) with the smallest length prefix that fits; empty is the null value.</summary>
    public uint Blob(ReadOnlySpan<byte> bytes) => Blob(bytes, cached: true, out _);

    /// <summary>
    /// A blob written at a new place even if the same bytes are already in the block, so it can be patched later
    /// (the package's identity hash); <paramref name="offset"/> is where its bytes start.
    /// </summary>
    public uint UniqueBlob(ReadOnlySpan<byte> bytes, out int offset) => Blob(bytes, cached: false, out offset);

    /// <summary>An integer: in the word itself below 2^28, else a 32- or 64-bit little-endian value in the block.</summary>
    public uint Int(ulong value)
    {
        if (value >= 0x1_0000_0000)
        {
            Span<byte> v64 = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(v64, value);
            // A 64-bit value is 4-aligned, as apk's reader takes it in two halves.
            return AdbType.Int64 | (uint)Append(v64, 4, cached: true);
        }
        if (value >= 0x1000_0000)
        {
            Span<byte> v32 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(v32, (uint)value);
            return AdbType.Int32 | (uint)Append(v32, 4, cached: true);
        }
        return AdbType.Int | (uint)value;
    }

    /// <summary>
    /// An object or array from its slots (<paramref name="slots"/>[0] is ignored: it becomes the slot count). Trailing
    /// null slots are dropped; one with no slot set is the null value and nothing is written.
    /// </summary>
    public uint Object(ReadOnlySpan<uint> slots, uint type = AdbType.Object)
    {
        if (type is not (AdbType.Object or AdbType.Array))
        {
            throw new ArgumentOutOfRangeException(nameof(type), "an object or an array");
        }
        var n = slots.Length;
        while (n > 1 && slots[n - 1] == AdbType.Null)
        {
            n--;
        }
        if (n <= 1)
        {
            return AdbType.Null;
        }
        var bytes = new byte[n * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)n);
        for (var i = 1; i < n; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), slots[i]);
        }
        return type | (uint)Append(bytes, 4, cached: true);
    }

    /// <summary>Sets the block's root value (the package object).</summary>
    public void SetRoot(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), value);

    /// <summary>Overwrites bytes already written (a blob from <see cref="UniqueBlob"/>).</summary>
    public void Patch(int offset, ReadOnlySpan<byte> bytes)
    {
        if (offset < HeaderLength || offset + bytes.Length > _length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "outside the values written");
        }
        bytes.CopyTo(_buffer.AsSpan(offset));
    }

    private uint Blob(ReadOnlySpan<byte> bytes, bool cached, out int offset)
    {
        offset = 0;
        if (bytes.IsEmpty)
        {
            return AdbType.Null;
        }
        int prefix;
        uint type;
        if (bytes.Length > 0xffff)
        {
            (prefix, type) = (4, AdbType.Blob32);
        }
        else if (bytes.Length > 0xff)
        {
            (prefix, type) = (2, AdbType.Blob16);
        }
        else
        {
            (prefix, type) = (1, AdbType.Blob8);
        }
        var value = new byte[prefix + bytes.Length];
        switch (prefix)
        {
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)bytes.Length); break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(value, (ushort)bytes.Length); break;
            default: value[0] = (byte)bytes.Length; break;
        }
        bytes.CopyTo(value.AsSpan(prefix));
        // The length prefix sets the alignment: a 16-bit length is 2-aligned, a 32-bit one 4-aligned.
        var at = Append(value, prefix, cached);
        offset = at + prefix;
        return type | (uint)at;
    }

    private int Append(ReadOnlySpan<byte> value, int alignment, bool cached)
    {
        byte[]? key = null;
        if (cached)
        {
            key = value.ToArray();
            // An earlier copy is reused only where it is aligned for this value; otherwise a new copy is written and
            // becomes the one later values reuse (apk's writer keeps one entry per byte sequence).
            if (_written.TryGetValue(key, out var earlier) && earlier % alignment == 0)
            {
                return earlier;
            }
        }
        var padding = (alignment - (_length % alignment)) % alignment;
        var offset = _length + padding;
        if ((long)offset + value.Length > MaxBlockLength)
        {
            throw new AdbFormatException($"the ADB block would be over {MaxBlockLength} bytes (offsets are 28 bits)");
        }
        EnsureCapacity(offset + value.Length);
        _buffer.AsSpan(_length, padding).Clear();
        value.CopyTo(_buffer.AsSpan(offset));
        _length = offset + value.Length;
        if (key is not null)
        {
            _written[key] = offset;
        }
        return offset;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length)
        {
            return;
        }
        var size = _buffer.Length;
        while (size < needed)
        {
            size = (int)Math.Min((long)size * 2, MaxBlockLength);
        }
        Array.Resize(ref _buffer, size);
    }

    private sealed class ByteSequenceComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteSequenceComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
