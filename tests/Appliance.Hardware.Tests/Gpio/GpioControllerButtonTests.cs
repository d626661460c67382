using System.Device.Gpio;
using Appliance.Hardware.Button;
using Appliance.Hardware.Gpio;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Hardware.Tests.Gpio;

/// <summary>
/// A button through System.Device.Gpio's <see cref="GpioController"/> (<see cref="GpioControllerButton"/>) over a fake
/// driver: the input mode asked for per polarity, edges turned into presses, and the press machine on top.
/// </summary>
public sealed class GpioControllerButtonTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(GpioBias.PullUp, PinMode.InputPullUp)]
    [InlineData(GpioBias.PullDown, PinMode.InputPullDown)]
    [InlineData(GpioBias.AsIs, PinMode.Input)]
    [Trait("Category", TestCategories.Unit)]
    public void The_line_is_opened_as_an_input_with_the_bias_and_both_edges_are_listened_to(GpioBias bias, PinMode mode)
    {
        var driver = new FakeGpioDriver();
        using (var button = new GpioControllerButton(new GpioController(driver), 3, activeLow: true, bias, "fake line 3"))
        {
            Assert.Equal([(3, mode)], driver.ModesSet);
            Assert.True(driver.Listening(3));
            Assert.Equal("fake line 3", button.Description);
        }
        Assert.False(driver.Listening(3));
        Assert.True(driver.Disposed);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Bias_off_has_no_input_mode_and_is_refused_before_the_line_is_touched()
    {
        var driver = new FakeGpioDriver();
        Assert.Throws<ArgumentException>(() => new GpioControllerButton(new GpioController(driver), 3, true, GpioBias.Disabled, "fake line 3"));
        Assert.Empty(driver.ModesSet);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_driver_that_cannot_pull_is_an_IOException_naming_the_line()
    {
        var driver = new FakeGpioDriver(8, PinMode.InputPullUp);
        var e = Assert.Throws<IOException>(() => new GpioControllerButton(new GpioController(driver), 3, true, GpioBias.PullUp, "/dev/gpiochip9 [sim] line 3"));
        Assert.Equal("/dev/gpiochip9 [sim] line 3: the GPIO driver cannot set InputPullUp", e.Message);
        Assert.Empty(driver.ModesSet);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_line_the_driver_refuses_is_an_IOException_naming_the_line()
    {
        var driver = new FakeGpioDriver(pinCount: 4);
        var e = Assert.Throws<IOException>(() => new GpioControllerButton(new GpioController(driver), 6, true, GpioBias.PullUp, "/dev/gpiochip9 [sim] line 6"));
        Assert.StartsWith("/dev/gpiochip9 [sim] line 6: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, PinEventTypes.Falling, PinEventTypes.Rising)]
    [InlineData(false, PinEventTypes.Rising, PinEventTypes.Falling)]
    [Trait("Category", TestCategories.Unit)]
    public void The_edge_toward_the_active_level_is_a_press(bool activeLow, PinEventTypes press, PinEventTypes release)
    {
        var clock = new FakeTimeProvider(Start);
        var driver = new FakeGpioDriver();
        using var button = new GpioControllerButton(new GpioController(driver), 5, activeLow, GpioButton.DefaultBias(activeLow), "fake", clock);
        Assert.Null(button.WaitForEdge(TimeSpan.Zero));
        driver.Raise(5, press);
        clock.Advance(TimeSpan.FromMilliseconds(300));
        driver.Raise(5, release);
        Assert.Equal(new ButtonEdge(true, Start), button.WaitForEdge(TimeSpan.Zero));
        Assert.Equal(new ButtonEdge(false, Start.AddMilliseconds(300)), button.WaitForEdge(TimeSpan.Zero));
        Assert.Null(button.WaitForEdge(TimeSpan.Zero));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task A_waiting_reader_wakes_for_an_edge_from_the_driver_thread()
    {
        var driver = new FakeGpioDriver();
        using var button = new GpioControllerButton(new GpioController(driver), 3, true, GpioBias.PullUp, "fake");
        var waiting = Task.Run(() => button.WaitForEdge(TimeSpan.FromSeconds(30)));
        await Wait.UntilAsync(() => waiting.Status == TaskStatus.Running, "the reader runs");
        // Most likely inside Monitor.Wait by now; either way the edge must reach it well before its 30 s.
        await Task.Delay(100);
        driver.Raise(3, PinEventTypes.Falling);
        var edge = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(edge?.Pressed);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_bouncing_short_press_and_a_5_s_hold_go_through_the_press_machine()
    {
        var clock = new FakeTimeProvider(Start);
        var driver = new FakeGpioDriver();
        using var button = new GpioControllerButton(new GpioController(driver), 3, true, GpioBias.PullUp, "fake", clock);
        var timing = new ButtonTiming();
        List<ButtonAction> Drain()
        {
            var actions = new List<ButtonAction>();
            while (button.WaitForEdge(TimeSpan.Zero) is { } edge)
            {
                actions.Add(timing.Edge(edge.Pressed, edge.At));
            }
            actions.Add(timing.Tick(clock.GetUtcNow()));
            return actions.Where(a => a != ButtonAction.None).ToList();
        }
        // Contact bounce: down, up, down within 2 ms (active low: falling is down).
        driver.Raise(3, PinEventTypes.Falling);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        driver.Raise(3, PinEventTypes.Rising);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        driver.Raise(3, PinEventTypes.Falling);
        Assert.Empty(Drain());
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.Pressed], Drain());
        clock.Advance(TimeSpan.FromMilliseconds(200));
        driver.Raise(3, PinEventTypes.Rising);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.ShortPress], Drain());

        driver.Raise(3, PinEventTypes.Falling);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.Pressed], Drain());
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([ButtonAction.ResetArmed], Drain());
        driver.Raise(3, PinEventTypes.Rising);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal([ButtonAction.FactoryReset], Drain());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_storm_of_edges_nobody_reads_is_bounded()
    {
        var driver = new FakeGpioDriver();
        using var button = new GpioControllerButton(new GpioController(driver), 3, true, GpioBias.PullUp, "fake");
        for (var i = 0; i < 10_000; i++)
        {
            driver.Raise(3, i % 2 == 0 ? PinEventTypes.Falling : PinEventTypes.Rising);
        }
        var n = 0;
        while (button.WaitForEdge(TimeSpan.Zero) is not null)
        {
            n++;
        }
        Assert.Equal(GpioControllerButton.MaxQueued, n);
    }
}
