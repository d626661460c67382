namespace Appliance.Hardware.Display;

/// <summary>
/// A 128×64 1-bit picture in the SSD1306's display RAM layout: eight 128-byte pages, each byte one column of eight
/// pixels with bit 0 the top one (SSD1306 datasheet §8.7, "Graphic Display Data RAM"). The bytes are what goes on
/// the wire after a full-screen address window, so a frame needs no conversion before it is sent.
/// </summary>
public sealed class FrameBuffer : IEquatable<FrameBuffer>
{
    public const int Width = 128;
    public const int Height = 64;
    public const int Pages = Height / 8;
    public const int Size = Width * Pages;

    private readonly byte[] _bytes = new byte[Size];

    /// <summary>The frame's display RAM bytes (page 0 column 0 first).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The 128 bytes of one page (a band of eight pixel rows).</summary>
    public ReadOnlySpan<byte> Page(int page) => _bytes.AsSpan(page * Width, Width);

    public static FrameBuffer FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a frame is {Size} bytes, not {bytes.Length}", nameof(bytes));
        }
        var frame = new FrameBuffer();
        bytes.CopyTo(frame._bytes);
        return frame;
    }

    public bool this[int x, int y]
    {
        get => InBounds(x, y) && (_bytes[(y >> 3) * Width + x] & (1 << (y & 7))) != 0;
        set
        {
            // Drawing off the panel is clipped, as on the panel itself.
            if (!InBounds(x, y))
            {
                return;
            }
            ref var b = ref _bytes[(y >> 3) * Width + x];
            b = value ? (byte)(b | (1 << (y & 7))) : (byte)(b & ~(1 << (y & 7)));
        }
    }

    public void Clear() => Array.Clear(_bytes);

    /// <summary>Inverts every pixel of text row <paramref name="row"/> (a page) from column <paramref name="x"/> on.</summary>
    public void InvertRow(int row, int x = 0)
    {
        for (var i = Math.Max(0, x); i < Width; i++)
        {
            _bytes[row * Width + i] ^= 0xFF;
        }
    }

    /// <summary>
    /// Draws <paramref name="text"/> on text row <paramref name="row"/> (0..7) from pixel column <paramref name="x"/>,
    /// one <see cref="Font5x7.Advance"/>-wide cell per character; what does not fit is clipped. Returns the column after it.
    /// </summary>
    public int DrawText(int row, int x, ReadOnlySpan<char> text)
    {
        if ((uint)row >= Pages)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"a text row is 0..{Pages - 1}");
        }
        foreach (var c in text)
        {
            var glyph = Font5x7.Glyph(c);
            for (var i = 0; i < glyph.Length; i++)
            {
                if ((uint)(x + i) < Width)
                {
                    _bytes[row * Width + x + i] = glyph[i];
                }
            }
            if ((uint)(x + Font5x7.GlyphWidth) < Width)
            {
                _bytes[row * Width + x + Font5x7.GlyphWidth] = 0;
            }
            x += Font5x7.Advance;
        }
        return x;
    }

    /// <summary>The frame as text, one line per pixel row: '#' lit, '.' dark (how goldens are kept and diffs printed).</summary>
    public string ToAscii()
    {
        var sb = new System.Text.StringBuilder((Width + 1) * Height);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                sb.Append(this[x, y] ? '#' : '.');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Reads <see cref="ToAscii"/>'s form back; any other character, or a wrong size, is an error naming the line.</summary>
    public static FrameBuffer FromAscii(string ascii)
    {
        var lines = ascii.Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        if (lines.Length != Height)
        {
            throw new FormatException($"a frame is {Height} lines of {Width} pixels, not {lines.Length} lines");
        }
        var frame = new FrameBuffer();
        for (var y = 0; y < Height; y++)
        {
            if (lines[y].Length != Width)
            {
                throw new FormatException($"line {y + 1} has {lines[y].Length} pixels, not {Width}");
            }
            for (var x = 0; x < Width; x++)
            {
                frame[x, y] = lines[y][x] switch
                {
                    '#' => true,
                    '.' => false,
                    var c => throw new FormatException($"line {y + 1} column {x + 1}: '{c}' is neither '#' nor '.'"),
                };
            }
        }
        return frame;
    }

    public bool Equals(FrameBuffer? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as FrameBuffer);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    private static bool InBounds(int x, int y) => (uint)x < Width && (uint)y < Height;
}
