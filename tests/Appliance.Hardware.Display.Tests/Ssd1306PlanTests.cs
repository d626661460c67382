using Appliance.TestSupport;

namespace Appliance.Hardware.Display.Tests;

public sealed class Ssd1306PlanTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Setup_is_the_binding_commands_for_a_128x64_panel_with_the_charge_pump_and_leaves_it_off()
    {
        var setup = Ssd1306Plan.Setup().Select(c => Convert.ToHexStringLower(c.GetBytes())).ToList();

        // AE off; D5 80 clock; A8 3F mux 64; D3 00 offset; 40 start line; 8D 14 charge pump on; 20 00 horizontal;
        // A1 C8 remap; DA 12 COM pins; 81 CF contrast; D9 F1 precharge; DB 40 VCOMH; A4 follow RAM; A6 normal; 2E no scroll
        // (the same bytes the agent sent before it used Iot.Device.Ssd13xx, now one command per transfer).
        Assert.Equal(["ae", "d580", "a83f", "d300", "40", "8d14", "2000", "a1", "c8", "da12", "81cf", "d9f1", "db40", "a4", "a6", "2e"], setup);
        Assert.DoesNotContain("af", setup);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_first_frame_is_one_window_of_all_eight_pages()
    {
        var frame = new FrameBuffer();
        frame.DrawText(0, 0, "hello");

        var window = Assert.Single(Ssd1306Plan.ChangedPages(frame, previous: null));

        Assert.Equal(new Ssd1306Window(0, 7), window);
        Assert.Equal(frame.Bytes.ToArray(), window.Bytes(frame).ToArray());
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

        var windows = Ssd1306Plan.ChangedPages(after, before);

        Assert.Empty(Ssd1306Plan.ChangedPages(after, FrameBuffer.FromBytes(after.Bytes)));
        Assert.Equal([new Ssd1306Window(2, 3), new Ssd1306Window(6, 6)], windows);
        Assert.Equal(after.Bytes.Slice(2 * 128, 256).ToArray(), windows[0].Bytes(after).ToArray());
        Assert.Equal(after.Page(6).ToArray(), windows[1].Bytes(after).ToArray());
    }
}
