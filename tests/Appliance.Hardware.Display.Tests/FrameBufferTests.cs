using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

public sealed class FrameBufferTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Pixels_are_laid_out_as_ssd1306_display_ram_pages_with_bit_0_at_the_top()
    {
        var frame = new FrameBuffer();

        frame[0, 0] = true;     // page 0, column 0, bit 0
        frame[5, 9] = true;     // page 1, column 5, bit 1
        frame[127, 63] = true;  // page 7, column 127, bit 7
        frame[128, 0] = true;   // off the panel: clipped
        frame[-1, 5] = true;

        Assert.Equal(0x01, frame.Bytes[0]);
        Assert.Equal(0x02, frame.Bytes[128 + 5]);
        Assert.Equal(0x80, frame.Bytes[1023]);
        Assert.Equal(3, frame.Bytes.ToArray().Count(b => b != 0));
        Assert.True(frame[5, 9]);
        Assert.False(frame[5, 10]);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Text_is_drawn_glyph_column_by_column_and_clipped_at_the_right_edge()
    {
        var frame = new FrameBuffer();

        var end = frame.DrawText(2, 0, "A");
        frame.DrawText(3, 124, "AB"); // only A's first four columns fit

        Assert.Equal(6, end);
        Assert.Equal(new byte[] { 0x7E, 0x11, 0x11, 0x11, 0x7E, 0x00 }, frame.Page(2)[..6].ToArray());
        Assert.Equal(new byte[] { 0x7E, 0x11, 0x11, 0x11 }, frame.Page(3)[124..].ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.DrawText(8, 0, "x"));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Ascii_form_round_trips_and_a_bad_one_names_its_line()
    {
        var frame = new FrameBuffer();
        frame.DrawText(0, 0, "Hi");
        frame.InvertRow(7, 64);

        Assert.Equal(frame, FrameBuffer.FromAscii(frame.ToAscii()));
        Assert.Equal(frame, FrameBuffer.FromBytes(frame.Bytes));

        var lines = frame.ToAscii().Split('\n');
        lines[3] = lines[3][..10] + "x" + lines[3][11..];
        var bad = Assert.Throws<FormatException>(() => FrameBuffer.FromAscii(string.Join('\n', lines)));
        Assert.Contains("line 4 column 11", bad.Message, StringComparison.Ordinal);
        Assert.Contains("63 lines", Assert.Throws<FormatException>(() => FrameBuffer.FromAscii(string.Join('\n', lines.Skip(1)))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FrameBuffer.FromBytes(new byte[1023]));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Every_printable_ascii_character_has_its_own_glyph_and_others_show_as_a_question_mark()
    {
        var glyphs = Enumerable.Range(' ', '~' - ' ' + 1).Select(c => Convert.ToHexString(Font5x7.Glyph((char)c))).ToList();

        // Only the space is blank, no two characters look the same, and no glyph uses the spacing row (bit 7).
        Assert.Equal(glyphs.Count, glyphs.Distinct().Count());
        Assert.Single(glyphs, g => g == "0000000000");
        Assert.All(Enumerable.Range(' ', '~' - ' ' + 1), c => Assert.All(Font5x7.Glyph((char)c).ToArray(), b => Assert.Equal(0, b & 0x80)));
        Assert.Equal(Font5x7.Glyph('?').ToArray(), Font5x7.Glyph('é').ToArray());
        Assert.Equal(Font5x7.Glyph('?').ToArray(), Font5x7.Glyph('\n').ToArray());
        Assert.NotEqual(Font5x7.Glyph('?').ToArray(), Font5x7.Glyph(Font5x7.Ellipsis).ToArray());
    }
}
