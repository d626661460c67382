using System.Text.RegularExpressions;
using Appliance.Agent;
using Appliance.Agent.Commands;
using Appliance.Hardware.Led;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Hardware;

/// <summary>`appliance-agent led STATE`: one pattern from the agent's table, written to the LED, then exit.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class LedCommandTests
{
    [Fact]
    public void Every_status_has_exactly_one_name()
    {
        var states = LedCommand.StateNames.Select(LedCommand.ParseState).ToList();
        Assert.Equal(Enum.GetValues<StatusLedState>().Order(), states.Order());
        Assert.Equal(StatusLedState.WaitingForToken, LedCommand.ParseState("waiting-for-token"));
    }

    [Theory]
    [InlineData("WaitingForToken")]
    [InlineData("blink")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_names_are_refused_listing_the_states(string? name)
    {
        var e = Assert.Throws<AgentException>(() => LedCommand.ParseState(name));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("booting, waiting-for-token, enrolling", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("booting")]
    [InlineData("waiting-for-token")]
    [InlineData("enrolling")]
    [InlineData("error")]
    [InlineData("connected")]
    [InlineData("server-unreachable")]
    public void A_state_writes_the_agents_own_pattern(string name)
    {
        var state = LedCommand.ParseState(name);
        var led = new FakeLedDevice();
        var output = new StringWriter();
        Assert.Equal(0, LedCommand.Run(state, "status", n => n == "status" ? led : null, output));
        // The same writes the running agent makes for this state.
        var expected = LedPlan.For(StatusLedPatterns.For(state), 255, LedPlan.ParseTriggers("[none] timer heartbeat default-on").Available);
        Assert.Equal(expected, led.Writes);
        Assert.Contains($"status LED status: {state}", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Waiting_for_a_token_leaves_the_kernel_blinking_slowly()
    {
        var led = new FakeLedDevice();
        LedCommand.Run(StatusLedState.WaitingForToken, "status", _ => led, TextWriter.Null);
        Assert.Equal(("timer", "1000", "1000"), (led.ActiveTrigger, led.Attribute("delay_on"), led.Attribute("delay_off")));
    }

    [Fact]
    public void No_led_configured_is_a_line_and_success()
    {
        var output = new StringWriter();
        Assert.Equal(0, LedCommand.Run(StatusLedState.Booting, null, _ => throw new InvalidOperationException("nothing to open"), output));
        Assert.Contains("no status LED configured", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_failing_led_is_an_error_naming_it()
    {
        Assert.Contains("no LED /sys/class/leds/green:status", Assert.Throws<AgentException>(() => LedCommand.Run(StatusLedState.Booting, "green:status", _ => null, TextWriter.Null)).Message, StringComparison.Ordinal);
        var broken = new FakeLedDevice { Failure = new UnauthorizedAccessException("read-only") };
        var output = new StringWriter();
        var e = Assert.Throws<AgentException>(() => LedCommand.Run(StatusLedState.Enrolling, "status", _ => broken, output));
        Assert.Contains("Enrolling was not shown", e.Message, StringComparison.Ordinal);
        Assert.Contains("read-only", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_state_the_first_boot_script_shows_is_one_the_agent_takes()
    {
        var script = File.ReadAllText(RepoPaths.Combine("image", "rootfs", "usr", "lib", "appliance", "appliance-firstboot"));
        var used = Regex.Matches(script, @"^\s*led ([a-z-]+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(["booting", "waiting-for-token", "enrolling", "error"], used);
        foreach (var name in used)
        {
            _ = LedCommand.ParseState(name);
        }
    }
}
