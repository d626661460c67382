using System.Device.Gpio;
using Appliance.Hardware.Button;
using Appliance.Hardware.Gpio;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Gpio;

/// <summary>
/// <see cref="CdevGpioDriver"/> under a <see cref="GpioController"/>: what each input mode asks the kernel for, and the
/// line's edge events reaching the controller's callbacks (a fake line stands for the kernel's descriptor).
/// </summary>
public sealed class CdevGpioDriverTests
{
    private static readonly Appliance.Hardware.Gpio.GpioChipInfo Chip = new("gpiochip9", "gpio-sim.0-node0", 8);

    private sealed class Requests
    {
        public List<GpioLineRequest> Made { get; } = [];
        public List<FakeGpioLine> Lines { get; } = [];

        public IGpioLine Request(GpioLineRequest r)
        {
            Made.Add(r);
            var line = new FakeGpioLine(r.Line);
            Lines.Add(line);
            return line;
        }
    }

    [Theory]
    [InlineData(PinMode.InputPullUp, GpioBias.PullUp)]
    [InlineData(PinMode.InputPullDown, GpioBias.PullDown)]
    [InlineData(PinMode.Input, GpioBias.AsIs)]
    [Trait("Category", TestCategories.Unit)]
    public void Each_input_mode_requests_the_line_with_its_bias_physical_levels_and_the_debounce(PinMode mode, GpioBias bias)
    {
        var requests = new Requests();
        using var controller = new GpioController(new CdevGpioDriver("/dev/gpiochip9", Chip, TimeSpan.FromMilliseconds(30), requests.Request));
        controller.OpenPin(3, mode);
        var made = Assert.Single(requests.Made);
        Assert.Equal(new GpioLineRequest(3, ActiveLow: false, bias, TimeSpan.FromMilliseconds(30)), made);
        Assert.Equal(mode, controller.GetPinMode(3));
        controller.ClosePin(3);
        Assert.True(requests.Lines[0].Disposed);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Outputs_and_lines_the_chip_lacks_are_refused_naming_them()
    {
        var requests = new Requests();
        using var controller = new GpioController(new CdevGpioDriver("/dev/gpiochip9", Chip, TimeSpan.Zero, requests.Request));
        Assert.False(controller.IsPinModeSupported(3, PinMode.Output));
        var e = Assert.Throws<IOException>(() => controller.OpenPin(8, PinMode.InputPullUp));
        Assert.Equal("/dev/gpiochip9 [gpio-sim.0-node0] has 8 lines (0..7); there is no line 8", e.Message);
        Assert.Empty(requests.Made);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task The_line_s_edge_events_reach_a_button_through_the_controller()
    {
        var requests = new Requests();
        var controller = new GpioController(new CdevGpioDriver("/dev/gpiochip9", Chip, TimeSpan.Zero, requests.Request));
        using var button = new GpioControllerButton(controller, 3, activeLow: true, GpioBias.PullUp, "fake");
        var line = Assert.Single(requests.Lines);
        // Active low: the falling edge (to ground) is the press, then the release; read as one burst.
        line.Push((false, 1_000), (true, 2_000));
        var edges = new List<ButtonEdge>();
        await Wait.UntilAsync(() =>
        {
            while (button.WaitForEdge(TimeSpan.Zero) is { } edge)
            {
                edges.Add(edge);
            }
            return edges.Count >= 2;
        }, "two edges through the controller");
        Assert.Equal([true, false], edges.Select(e => e.Pressed));
        Assert.Equal(PinValue.High, controller.Read(3));
        button.Dispose();
        Assert.True(line.Disposed);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public async Task WaitForEvent_returns_the_edge_or_times_out()
    {
        var requests = new Requests();
        using var controller = new GpioController(new CdevGpioDriver("/dev/gpiochip9", Chip, TimeSpan.Zero, requests.Request));
        controller.OpenPin(2, PinMode.InputPullDown);
        var timedOut = controller.WaitForEvent(2, PinEventTypes.Rising, TimeSpan.FromMilliseconds(50));
        Assert.True(timedOut.TimedOut);
        var waiting = Task.Run(() => controller.WaitForEvent(2, PinEventTypes.Rising, TimeSpan.FromSeconds(20)));
        // The reader may start after this push: the fake line keeps it until read.
        requests.Lines[0].Push((true, 5_000));
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(result.TimedOut);
        Assert.Equal(PinEventTypes.Rising, result.EventTypes);
    }
}
