using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Hardware.Tests.Vm;

/// <summary>The hardware library on real kernel interfaces: evdev (uinput), LED class devices (input-leds), softdog.</summary>
[Trait("Category", TestCategories.Vm)]
public sealed class HardwareVmTests(HardwareVmFixture vm, ITestOutputHelper output) : IClassFixture<HardwareVmFixture>
{
    [Fact]
    public void A_uinput_key_drives_the_evdev_button_short_press_and_5_s_hold() => output.WriteLine(vm.AssertScenarioPassed("button"));

    [Fact]
    public void Every_status_pattern_reads_back_from_a_real_led_class_device() => output.WriteLine(vm.AssertScenarioPassed("led"));

    [Fact]
    public void A_healthy_feeder_keeps_softdog_from_resetting_for_three_timeouts() => output.WriteLine(vm.AssertScenarioPassed("watchdog-healthy"));

    [Fact]
    public void A_feeder_whose_loop_stops_gets_the_vm_reset_by_softdog()
    {
        vm.AssertScenarioPassed("watchdog-healthy");
        var console = vm.Run.Console;
        Assert.Contains("@@WD starving", console, StringComparison.Ordinal);
        var tail = console[console.IndexOf("@@WD starving", StringComparison.Ordinal)..];
        // The probe would print a FAIL result 30 s later, and /init "@@JOB rc=" and a power-off: the reset came first.
        Assert.True(!tail.Contains("@@RESULT watchdog-starve", StringComparison.Ordinal) && !tail.Contains("@@JOB rc=", StringComparison.Ordinal),
            "the VM was not reset:\n" + tail);
        Assert.Contains("Initiating system reboot", tail, StringComparison.Ordinal);
        output.WriteLine(tail);
    }
}
