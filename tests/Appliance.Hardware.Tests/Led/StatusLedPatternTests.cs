using Appliance.Hardware.Led;
using Appliance.TestSupport;

namespace Appliance.Hardware.Tests.Led;

public sealed class StatusLedPatternTests
{
    public static TheoryData<StatusLedState, string> Table => new()
    {
        { StatusLedState.Booting, "timer 500/100 ms" },
        { StatusLedState.WaitingForToken, "timer 1000/1000 ms" },
        { StatusLedState.Enrolling, "timer 200/200 ms" },
        { StatusLedState.Connected, "default-on" },
        { StatusLedState.ServerUnreachable, "heartbeat" },
        { StatusLedState.Error, "timer 100/1900 ms" },
        { StatusLedState.Identify, "timer 50/50 ms" },
        { StatusLedState.ButtonHeld, "off" },
        { StatusLedState.FactoryResetArmed, "timer 25/25 ms" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Table))]
    public void Each_state_has_its_documented_pattern(StatusLedState state, string pattern) =>
        Assert.Equal(pattern, StatusLedPatterns.For(state).ToString());

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Every_state_is_in_the_table_and_no_two_look_alike()
    {
        var states = Enum.GetValues<StatusLedState>();
        Assert.Equal(states.Length, Table.Count);
        Assert.Equal(states.Length, states.Select(StatusLedPatterns.For).Distinct().Count());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_readme_table_names_every_pattern()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("hardware", "Appliance.Hardware", "Led", "README.md"));
        foreach (var state in Enum.GetValues<StatusLedState>())
        {
            Assert.Contains($"| {state} | {StatusLedPatterns.For(state)} |", readme, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, LedPattern, string, string> Plans => new()
    {
        // echo timer > trigger; echo 500 > delay_on; echo 100 > delay_off (brightness first: the blink level)
        { "timer", LedPattern.Blink(500, 100), "none timer heartbeat default-on", "brightness=255 trigger=timer delay_on=500 delay_off=100" },
        { "heartbeat", LedPattern.Heartbeat, "none timer heartbeat default-on", "brightness=255 trigger=heartbeat" },
        { "default-on", LedPattern.Solid, "none timer heartbeat default-on", "brightness=255 trigger=default-on" },
        { "off", LedPattern.Off, "none timer", "trigger=none brightness=0" },
        { "no timer trigger in the kernel: fixed on", LedPattern.Blink(50, 50), "[none] heartbeat", "trigger=none brightness=255" },
        { "no heartbeat trigger: fixed on", LedPattern.Heartbeat, "[none]", "trigger=none brightness=255" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Plans))]
    public void A_pattern_becomes_sysfs_writes_in_the_order_the_kernel_needs(string name, LedPattern pattern, string triggers, string writes)
    {
        var plan = LedPlan.For(pattern, 255, LedPlan.ParseTriggers(triggers).Available);
        Assert.True(writes == string.Join(' ', plan), $"{name}: {string.Join(' ', plan)}");
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("none [timer] heartbeat", "timer", 3)]
    [InlineData("[none] rfkill-any kbd-capslock\n", "none", 3)]
    [InlineData("none timer", null, 2)]
    public void The_trigger_file_parses(string text, string? active, int count)
    {
        var (available, a) = LedPlan.ParseTriggers(text);
        Assert.Equal(active, a);
        Assert.Equal(count, available.Count);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(0, 10)]
    [InlineData(10, 0)]
    [InlineData(60_001, 10)]
    public void A_blink_out_of_range_is_refused(int on, int off) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LedPattern.Blink(on, off));

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Status_led_writes_only_on_a_change_and_keeps_the_kernel_trigger()
    {
        var dev = new FakeLedDevice(maxBrightness: 1);
        var led = new StatusLed(dev, TextWriter.Null);
        led.Show(StatusLedState.WaitingForToken);
        Assert.Equal("timer", dev.ActiveTrigger);
        Assert.Equal("1000", dev.Attribute("delay_on"));
        Assert.Equal("1", dev.Attribute("brightness"));
        var writes = dev.Writes.Count;
        led.Show(StatusLedState.WaitingForToken);
        Assert.Equal(writes, dev.Writes.Count);
        led.Show(StatusLedState.Connected);
        Assert.Equal("default-on", dev.ActiveTrigger);
        led.Show(StatusLedState.ButtonHeld);
        Assert.Equal("none", dev.ActiveTrigger);
        Assert.Equal("0", dev.Attribute("brightness"));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_failing_led_is_one_log_line_not_an_exception_and_recovers()
    {
        var dev = new FakeLedDevice { Failure = new IOException("No such device") };
        var log = new StringWriter();
        var led = new StatusLed(dev, log);
        led.Show(StatusLedState.Booting);
        led.Show(StatusLedState.Booting);
        Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("No such device", log.ToString(), StringComparison.Ordinal);
        dev.Failure = null;
        led.Show(StatusLedState.Booting);
        Assert.Equal("timer", dev.ActiveTrigger);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("")]
    [InlineData("../../../etc")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void An_led_name_cannot_leave_the_led_class_directory(string name) =>
        Assert.Throws<ArgumentException>(() => new SysfsLed(name));
}
