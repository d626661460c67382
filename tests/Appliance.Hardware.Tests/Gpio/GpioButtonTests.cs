using Appliance.Hardware.Button;
using Appliance.Hardware.Gpio;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Hardware.Tests.Gpio;

/// <summary>GPIO line events (the kernel's records, from a fake line) through <see cref="GpioButton"/> into the press state machine.</summary>
public sealed class GpioButtonTests
{
    private const ulong Ms = 1_000_000;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Drains what the button has now into the timing, then lets the clock tick.</summary>
    private static List<ButtonAction> Drain(GpioButton button, ButtonTiming timing, FakeTimeProvider clock)
    {
        var actions = new List<ButtonAction>();
        while (button.WaitForEdge(TimeSpan.Zero) is { } edge)
        {
            actions.Add(timing.Edge(edge.Pressed, edge.At));
        }
        actions.Add(timing.Tick(clock.GetUtcNow()));
        return actions.Where(a => a != ButtonAction.None).ToList();
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_bouncing_short_press_is_one_press_and_one_short_press()
    {
        var clock = new FakeTimeProvider(Start);
        var line = new FakeGpioLine();
        using var button = new GpioButton(line, clock);
        var timing = new ButtonTiming();
        // Contact bounce: down, up, down within 2 ms, read as one burst.
        line.Push((true, 1000 * Ms), (false, 1001 * Ms), (true, 1002 * Ms));
        Assert.Empty(Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.Pressed], Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(260));
        line.Push((false, 1302 * Ms));
        Assert.Empty(Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.ShortPress], Drain(button, timing, clock));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_5_s_hold_arms_the_reset_and_the_release_resets()
    {
        var clock = new FakeTimeProvider(Start);
        var line = new FakeGpioLine();
        using var button = new GpioButton(line, clock);
        var timing = new ButtonTiming();
        line.Push((true, 50 * Ms));
        Assert.Empty(Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.Pressed], Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Empty(Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([ButtonAction.ResetArmed], Drain(button, timing, clock));
        line.Push((false, 5600 * Ms));
        Assert.Empty(Drain(button, timing, clock));
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.FactoryReset], Drain(button, timing, clock));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Events_read_together_keep_their_kernel_spacing_on_the_reader_clock()
    {
        var clock = new FakeTimeProvider(Start);
        var line = new FakeGpioLine();
        using var button = new GpioButton(line, clock);
        line.Push((true, 10 * Ms), (false, 310 * Ms));
        Assert.Equal(new ButtonEdge(true, Start - TimeSpan.FromMilliseconds(300)), button.WaitForEdge(TimeSpan.Zero));
        Assert.Equal(new ButtonEdge(false, Start), button.WaitForEdge(TimeSpan.Zero));
        Assert.Null(button.WaitForEdge(TimeSpan.Zero));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task The_monitor_reports_a_press_from_the_line()
    {
        var line = new FakeGpioLine();
        var button = new GpioButton(line);
        var actions = new System.Collections.Concurrent.BlockingCollection<ButtonAction>();
        using var cts = new CancellationTokenSource();
        var log = new StringWriter();
        // Hold times far beyond any scheduling delay of a loaded machine: this is about the thread and the line, not timing.
        var run = new ButtonMonitor(button, new ButtonTiming(TimeSpan.FromMilliseconds(5), TimeSpan.FromHours(1), TimeSpan.FromHours(2)), actions.Add, log).RunAsync(cts.Token);
        line.Push((true, 0));
        Assert.True(actions.TryTake(out var pressed, TimeSpan.FromSeconds(5)));
        Assert.Equal(ButtonAction.Pressed, pressed);
        line.Push((false, 50 * Ms));
        Assert.True(actions.TryTake(out var shortPress, TimeSpan.FromSeconds(5)));
        Assert.Equal(ButtonAction.ShortPress, shortPress);
        await cts.CancelAsync();
        await run;
        Assert.Contains("fake gpiochip line 17", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_missing_chip_and_a_file_that_is_no_chip_are_named()
    {
        var missing = Assert.Throws<IOException>(() => GpioButton.Open(new GpioButtonAddress(MaxChipForTest, 3, null)));
        Assert.Contains($"no /dev/gpiochip{MaxChipForTest}", missing.Message, StringComparison.Ordinal);
        var notChip = Assert.Throws<IOException>(() => GpioCdevLine.Open("/dev/null", new GpioLineRequest(3, true, GpioBias.PullUp, TimeSpan.Zero)));
        Assert.Equal("/dev/null is not a GPIO chip", notChip.Message);
    }

    private const int MaxChipForTest = GpioButtonAddress.MaxChip;

    public static TheoryData<string, string, string?> Addresses => new()
    {
        { "gpio:17", "gpio:0:17", null },
        { "gpio:2:5", "gpio:2:5", null },
        { "gpio:0:4:active-high", "gpio:0:4:active-high", null },
        { "gpio:1:4:active-low", "gpio:1:4:active-low", null },
        { "gpio:", null!, "the line is a number" },
        { "gpio:x", null!, "the line is a number" },
        { "gpio:-1", null!, "the line is a number" },
        { "gpio:0:65535", null!, "the line is a number 0..65534" },
        { "gpio:1024:1", null!, "the chip is a number 0..1023" },
        { "gpio:0:1:inverted", null!, "active-high or active-low" },
        { "gpio:0:1:active-high:x", null!, "is not gpio:<chip>:<line>" },
        { "gpio:../0:1", null!, "the chip is a number" },
        { "pin:17", null!, "is not gpio:<chip>:<line>" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Addresses))]
    public void Button_addresses_parse_or_say_what_is_wrong(string text, string? parsed, string? error)
    {
        var ok = GpioButtonAddress.TryParse(text, out var address, out var why);
        if (error is null)
        {
            Assert.True(ok, why);
            Assert.Equal(parsed, address.ToString());
        }
        else
        {
            Assert.False(ok, text);
            Assert.Contains(error, why, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_default_bias_holds_an_idle_button_inactive()
    {
        Assert.Equal(GpioBias.PullUp, GpioButton.DefaultBias(activeLow: true));
        Assert.Equal(GpioBias.PullDown, GpioButton.DefaultBias(activeLow: false));
        Assert.Equal(17u, new GpioButtonAddress(0, 17, null).Line);
        Assert.Equal("/dev/gpiochip3", new GpioButtonAddress(3, 1, false).ChipPath);
    }
}
