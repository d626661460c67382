using System.Globalization;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// The agent's GPIO button (System.Device.Gpio's GpioController over the driver <c>GpioDriverChoice</c> picks,
/// <c>hardware/Appliance.Hardware/Gpio/</c>) on a real kernel: a gpio-sim chip in Debian's Linux 7.3
/// (<see cref="GpioButtonVmFixture"/>), once without libgpiod and once with Debian 12's libgpiod 1.6. The simulated line's pull is
/// the button; what the agent does is read from its log, what it asked the kernel for from the simulated line.
/// </summary>
[Trait("Category", TestCategories.Vm)]
public sealed class GpioButtonVmTests(GpioButtonVmFixture vm, ITestOutputHelper output) : IClassFixture<GpioButtonVmFixture>
{
    [Fact]
    public void The_kernel_has_a_gpio_sim_chip_and_the_agent_joined_through_the_server()
    {
        var chip = vm.Line("GPIO", "chip");
        output.WriteLine(chip);
        Assert.Matches(@"^chip gpiochip\d+ dev=gpio-sim\.\d+ kernel=7\.\S+ lines=8$", chip);
        Assert.Contains("applied v", vm.AgentLog("low"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_agent_logs_the_driver_it_picked_under_the_GpioController_by_what_loads()
    {
        const string Cdev = "button: GPIO driver: System.Device.Gpio GpioController, CdevGpioDriver (the GPIO character device v2, no library): ";
        // Run 1, no libgpiod in the guest.
        Assert.Contains(Cdev + "no libgpiod.so.2 (libgpiod 1.x; Debian: apt install libgpiod2)", vm.AgentLog("high"), StringComparison.Ordinal);
        // Run 2: Debian 12's libgpiod 1.6 loaded (the agent read its version through it), but this kernel has no uAPI v1.
        Assert.Matches(@"^libgpiod\.so\.2 \d+ bytes$", vm.Line("LIB", "libgpiod.so.2"));
        Assert.Matches("(?m)^" + System.Text.RegularExpressions.Regex.Escape(Cdev) + @"libgpiod 1\.6\.\d+ \(libgpiod\.so\.2\) speaks the GPIO uAPI v1, which this kernel does not have \(CONFIG_GPIO_CDEV_V1\)$",
            vm.AgentLog("low"));
    }

    [Fact]
    public void The_agent_asks_the_kernel_for_the_bias_that_holds_each_button_inactive()
    {
        // Active high (to Vcc): the line floated high; the agent's pull-down request took it low.
        Assert.Equal("high-before pull-up value=1", vm.Line("PULL", "high-before"));
        Assert.Equal("high-running pull-down value=0", vm.Line("PULL", "high-running"));
        // Active low (to ground): gpio-sim's default pull-down until the agent's pull-up request.
        Assert.Equal("low-before pull-down value=0", vm.Line("PULL", "low-before"));
        Assert.Equal("low-running pull-up value=1", vm.Line("PULL", "low-running"));
        Assert.Matches(@"(?m)^button: /dev/gpiochip\d+ \[gpio-sim[^\]]*\] line 5 ", vm.AgentLog("high"));
        Assert.Matches(@"(?m)^button: /dev/gpiochip\d+ \[gpio-sim[^\]]*\] line 3 ", vm.AgentLog("low"));
    }

    [Fact]
    public void A_short_press_of_either_polarity_reaches_the_press_machine_and_blinks_identify()
    {
        Assert.Equal("high-short identify", vm.Line("PRESS", "high-short"));
        Assert.Equal("low-short identify", vm.Line("PRESS", "low-short"));
        Assert.Contains("identify: blinking for 10 s", vm.AgentLog("high"), StringComparison.Ordinal);
        Assert.Equal("high rc=0", vm.Line("EXIT", "high"));
    }

    [Fact]
    public void A_5_s_hold_arms_the_reset_and_the_release_wipes_the_state_and_ends_the_agent()
    {
        var armed = vm.Line("PRESS", "low-hold");
        output.WriteLine(armed);
        var seconds = double.Parse(armed.Split(' ')[^2], CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 4.9, 8.0);
        Assert.Equal("low-release reset", vm.Line("PRESS", "low-release"));
        var log = vm.AgentLog("low");
        output.WriteLine(log);
        Assert.Contains("button: factory reset", log, StringComparison.Ordinal);
        // It left the mesh through the server before wiping (the server was reachable).
        Assert.Matches(@"left network 'vm' \(node [0-9a-f]+ removed from the server\)", log);
        Assert.Contains("factory reset: state in /tmp/s wiped", log, StringComparison.Ordinal);
        Assert.Equal("low rc=0", vm.Line("EXIT", "low"));
        Assert.Equal("wiped", Assert.Single(vm.Lines("STATE")));
        Assert.Empty(vm.Lines("FAIL"));
    }
}
