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
    /// <summary>
    /// Issue #17: "Hardware support costs the agent ≤ 2 MB RSS" (2 MiB, as /proc counts in KiB), asserted on the mean. The
    /// +2 MB seen in session 9 was a transparent huge page behind one thread's stack (smaps, docs/BENCHMARKS.md); the
    /// agent turns THP off for itself (Diagnostics.HugePages), after which three quiet runs gave means of +286, 0 and +26 kB.
    /// </summary>
    public const long BudgetKb = 2048;

    /// <summary>
    /// Hardware on costs the mean of its RSS samples minus the mean of the other agent's, over the same
    /// <see cref="HardwareRssVmFixture.Samples"/> moments (two heap-trim periods, so both sawtooths are averaged over
    /// whole periods). The single pair at the end is printed too: its spread is what made one reading unreliable.
    /// </summary>
    [Fact]
    public void Hardware_on_costs_the_agent_at_most_2_MiB_of_rss_next_to_the_same_agent_without_it()
    {
        var samples = vm.RssSamples();
        foreach (var s in samples)
        {
            output.WriteLine(Json(s, vm.AgentBinary, vm.HostLoad));
        }
        var off = samples.Where(s => s.Agent == "off").ToList();
        var on = samples.Where(s => s.Agent == "on").ToList();
        Assert.Equal(HardwareRssVmFixture.Samples, off.Count);
        Assert.Equal(HardwareRssVmFixture.Samples, on.Count);
        Assert.All(samples, s => Assert.True(s.VmRssKb > 1024, $"implausible figure: {s}"));
        static long Mean(IEnumerable<long> kb) => (long)Math.Round(kb.Average());
        var deltas = on.Zip(off, (a, b) => a.VmRssKb - b.VmRssKb).ToList();
        var mean = Mean(on.Select(s => s.VmRssKb)) - Mean(off.Select(s => s.VmRssKb));
        var delta = string.Create(CultureInfo.InvariantCulture,
            $$"""{"figure":"hardware_delta","samples":{{deltas.Count}},"every_s":{{HardwareRssVmFixture.SampleSeconds}},"mean_vm_rss_kb":{{mean}},"mean_rss_anon_kb":{{Mean(on.Select(s => s.RssAnonKb)) - Mean(off.Select(s => s.RssAnonKb))}},"mean_rss_shmem_kb":{{Mean(on.Select(s => s.RssShmemKb)) - Mean(off.Select(s => s.RssShmemKb))}},"last_vm_rss_kb":{{deltas[^1]}},"min_pair_kb":{{deltas.Min()}},"max_pair_kb":{{deltas.Max()}},"budget_kb":{{BudgetKb}},"goal_met":{{(mean <= BudgetKb ? "true" : "false")}},"host_load":"{{vm.HostLoad}}"}""");
        output.WriteLine(delta);
        Console.WriteLine(delta);
        Assert.True(mean <= BudgetKb, $"hardware costs {mean} kB of RSS on average, over the {BudgetKb} kB budget: {delta}");
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
