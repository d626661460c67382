using Appliance.TestSupport;
using Appliance.TestSupport.Vm;

namespace Appliance.Hardware.Tests.Vm;

/// <summary>
/// One boot of Debian's kernel under qemu with uinput, input-leds, the LED triggers and softdog: the probe
/// (tests/Appliance.HardwareVmProbe) runs the button, LED and healthy-watchdog scenarios, then starves the watchdog,
/// which must reset the VM (qemu runs with -no-reboot, so the reset ends it).
/// </summary>
public sealed class HardwareVmFixture() : VmRunFixture("aphw-vm")
{
    public static readonly string[] Modules = ["evdev", "uinput", "input-leds", "ledtrig-timer", "ledtrig-heartbeat", "ledtrig-default-on", "softdog"];


    protected override async Task<VmRun> BootAsync()
    {
        var app = await VmImage.PublishAppAsync(RepoPaths.Combine("tests", "Appliance.HardwareVmProbe", "Appliance.HardwareVmProbe.csproj"), Work.Combine("probe"));
        var image = await VmImage.BuildAsync(Work.Combine("image"), app, extraModules: Modules);
        var run = await QemuVm.RunAsync(image, Work.Combine("share"),
            "/app/Appliance.HardwareVmProbe button led watchdog-healthy 2>&1\n" +
            // The kernel's own words about the reset reach the serial console.
            "dmesg -n 8\n" +
            "/app/Appliance.HardwareVmProbe watchdog-starve 2>&1\n",
            TimeSpan.FromMinutes(6), memoryMb: 768, cpus: 2);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "aphw-vm-console.log"), run.Console);
        return run;
    }


    /// <summary>The <c>@@RESULT</c> line of a scenario; fails with the whole console when it is missing or failed.</summary>
    public string AssertScenarioPassed(string scenario)
    {
        AssertSetup();
        var line = Run.Lines("RESULT").FirstOrDefault(l => l.StartsWith(scenario + " ", StringComparison.Ordinal));
        if (line is null || !line.StartsWith(scenario + " PASS", StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"scenario '{scenario}': {line ?? "no result"}\n--- console ---\n{Run.Console}");
        }
        return line;
    }

}
