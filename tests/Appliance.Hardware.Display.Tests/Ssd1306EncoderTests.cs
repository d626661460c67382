using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

public sealed class Ssd1306EncoderTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Init_sets_a_128x64_panel_up_with_the_charge_pump_and_leaves_it_off()
    {
        var init = Assert.Single(Ssd1306Encoder.Init());

        // AE off; D5 80 clock; A8 3F mux 64; D3 00 offset; 40 start line; 8D 14 charge pump on; 20 00 horizontal;
        // A1 C8 remap; DA 12 COM pins; 81 CF contrast; D9 F1 precharge; DB 40 VCOMH; A4 follow RAM; A6 normal; 2E no scroll
        Assert.Equal("00aed580a83fd300408d142000a1c8da1281cfd9f1db40a4a62e", Convert.ToHexStringLower(init));
        Assert.DoesNotContain(Ssd1306Command.DisplayOn, init);
        Assert.Equal("00af", Convert.ToHexStringLower(Ssd1306Encoder.DisplayOn()));
        Assert.Equal("00ae", Convert.ToHexStringLower(Ssd1306Encoder.DisplayOff()));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_first_frame_is_one_full_window_and_1024_ram_bytes_in_32_byte_transfers()
    {
        var frame = new FrameBuffer();
        frame.DrawText(0, 0, "hello");

        var writes = Ssd1306Encoder.Frame(frame, previous: null);

        Assert.Equal("0021007f220007", Convert.ToHexStringLower(writes[0])); // columns 0..127, pages 0..7
        Assert.Equal(33, writes.Count);
        Assert.All(writes.Skip(1), w => Assert.Equal((Ssd1306Command.ControlData, 33), (w[0], w.Length)));
        Assert.Equal(frame.Bytes.ToArray(), writes.Skip(1).SelectMany(w => w.Skip(1)).ToArray());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Only_changed_pages_are_sent_each_run_of_them_in_its_own_window_and_nothing_when_equal()
    {
        var before = new FrameBuffer();
        before.DrawText(1, 0, "peers 3/5");
        var after = FrameBuffer.FromBytes(before.Bytes);
        after.DrawText(2, 0, "x");
        after.DrawText(3, 0, "y");
        after.DrawText(6, 0, "z");

        var writes = Ssd1306Encoder.Frame(after, before);

        Assert.Empty(Ssd1306Encoder.Frame(after, FrameBuffer.FromBytes(after.Bytes)));
        Assert.Equal(2 + 8 + 4, writes.Count);
        Assert.Equal("0021007f220203", Convert.ToHexStringLower(writes[0])); // pages 2..3
        Assert.Equal(after.Bytes.Slice(2 * 128, 256).ToArray(), writes.Skip(1).Take(8).SelectMany(w => w.Skip(1)).ToArray());
        Assert.Equal("0021007f220606", Convert.ToHexStringLower(writes[9])); // page 6
        Assert.Equal(after.Page(6).ToArray(), writes.Skip(10).SelectMany(w => w.Skip(1)).ToArray());
        Assert.All(writes, w => Assert.InRange(w.Length, 2, Ssd1306Encoder.MaxPayload + 1));
    }
}
