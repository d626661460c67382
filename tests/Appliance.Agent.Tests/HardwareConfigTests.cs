using Appliance.Agent;
using Appliance.Agent.Hardware;
using Appliance.Hardware.Button;
using Appliance.Hardware.Display;
using Appliance.Hardware.Gpio;
using Appliance.Hardware.Led;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

[Trait("Category", TestCategories.Unit)]
public sealed class HardwareConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new("hwconfig");

    public void Dispose() => _dir.Dispose();

    private HardwareConfig Load(string json)
    {
        var path = _dir.Combine("agent.json");
        File.WriteAllText(path, json);
        return HardwareConfig.Load(path);
    }

    [Fact]
    public void A_missing_file_is_no_hardware() => Assert.False(HardwareConfig.Load(_dir.Combine("none.json")).Any);

    [Fact]
    public void The_hardware_section_reads()
    {
        var c = Load("""{ "hardware": { "led": "green:status", "button": "gpio:17", "buttonActiveLow": false, "watchdog": "/dev/watchdog", "watchdogTimeout": 20 } }""");
        Assert.Equal(("green:status", "gpio:17", false, "/dev/watchdog", 20), (c.Led, c.Button, c.ButtonActiveLow, c.Watchdog, c.WatchdogTimeout));
        // gpio:N is line N of gpiochip0; buttonActiveLow false makes it active high, pulled down.
        Assert.Equal(new GpioButtonAddress(0, 17, false), c.Gpio);
        Assert.Equal(GpioBias.PullDown, c.Bias);
        Assert.Equal(408, c.Key);
    }

    public static TheoryData<string, GpioButtonAddress, GpioBias> GpioButtons => new()
    {
        { """{ "hardware": { "button": "gpio:17" } }""", new GpioButtonAddress(0, 17, true), GpioBias.PullUp },
        { """{ "hardware": { "button": "gpio:2:5" } }""", new GpioButtonAddress(2, 5, true), GpioBias.PullUp },
        { """{ "hardware": { "button": "gpio:1:4:active-high" } }""", new GpioButtonAddress(1, 4, false), GpioBias.PullDown },
        { """{ "hardware": { "button": "gpio:1:4:active-high", "buttonActiveLow": false } }""", new GpioButtonAddress(1, 4, false), GpioBias.PullDown },
        { """{ "hardware": { "button": "gpio:0:4", "buttonBias": "disabled" } }""", new GpioButtonAddress(0, 4, true), GpioBias.Disabled },
        { """{ "hardware": { "button": "gpio:0:4:active-high", "buttonBias": "as-is" } }""", new GpioButtonAddress(0, 4, false), GpioBias.AsIs },
    };

    [Theory]
    [MemberData(nameof(GpioButtons))]
    public void Gpio_buttons_read_with_their_polarity_and_pull(string json, GpioButtonAddress expected, GpioBias bias)
    {
        var c = Load(json);
        Assert.Equal(expected, c.Gpio);
        Assert.Equal(bias, c.Bias);
    }

    [Fact]
    public async Task A_gpio_button_opens_the_gpio_chip_and_a_missing_one_is_a_log_line()
    {
        var log = new StringWriter();
        await using (var hw = AgentHardware.Open(new HardwareConfig { Button = "gpio:1023:4" }.Validated("test"), log, TimeProvider.System))
        {
            hw.Start();
        }
        Assert.Contains("button: no /dev/gpiochip1023 (ls /dev/gpiochip*; gpiodetect names the chips); running without it", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_device_button_is_no_gpio_line() => Assert.Null(Load("""{ "hardware": { "button": "/dev/input/event3" } }""").Gpio);

    [Fact]
    public void The_display_key_sits_beside_the_hardware_section()
    {
        var path = _dir.Combine("agent.json");
        File.WriteAllText(path, """{ "hardware": { "led": "status" }, "display": "i2c-1:0x3d" }""");
        var file = AgentConfigFile.Load(path);
        Assert.Equal(new DisplayAddress(1, 0x3D), file.DisplayAt);
        Assert.Equal("status", file.Hardware!.Led);
        File.WriteAllText(path, """{ "display": "i2c-3" }""");
        Assert.Equal(new DisplayAddress(3, DisplayAddress.DefaultAddress), AgentConfigFile.Load(path).DisplayAt);
        Assert.Null(AgentConfigFile.Load(_dir.Combine("none.json")).DisplayAt);
    }

    [Theory]
    [InlineData("""{ "display": "i2c-x" }""", "display: the display's bus must be i2c-N")]
    [InlineData("""{ "display": "i2c-1:0x90" }""", "display: the display's address must be a 7-bit I2C address")]
    [InlineData("""{ "display": "" }""", "display: a display is i2c-N[:ADDR]")]
    [InlineData("""{ "display": 1 }""", "display")]
    [InlineData("""{ "display": "i2c-1", "dispaly": "i2c-2" }""", "dispaly")]
    public void A_bad_display_is_refused_naming_the_key(string json, string named)
    {
        var path = _dir.Combine("agent.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<AgentException>(() => AgentConfigFile.Load(path));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "hardware": { "led": "../../etc" } }""", "hardware.led")]
    [InlineData("""{ "hardware": { "button": "/etc/shadow" } }""", "hardware.button")]
    [InlineData("""{ "hardware": { "button": "gpio:x" } }""", "hardware.button: 'gpio:x': the line is a number")]
    [InlineData("""{ "hardware": { "button": "gpio:1024:1" } }""", "hardware.button: 'gpio:1024:1': the chip is a number 0..1023")]
    [InlineData("""{ "hardware": { "button": "gpio:0:1:inverted" } }""", "hardware.button: 'gpio:0:1:inverted': the polarity is active-high or active-low")]
    [InlineData("""{ "hardware": { "button": "gpio:0:1:active-high", "buttonActiveLow": true } }""", "hardware.button 'gpio:0:1:active-high' and hardware.buttonActiveLow true disagree")]
    [InlineData("""{ "hardware": { "button": "gpio:0:1", "buttonBias": "up" } }""", "hardware.buttonBias 'up' must be pull-up, pull-down, disabled or as-is")]
    [InlineData("""{ "hardware": { "button": "/dev/input/../sda" } }""", "hardware.button")]
    [InlineData("""{ "hardware": { "buttonKey": "nuke" } }""", "hardware.buttonKey")]
    [InlineData("""{ "hardware": { "watchdog": "/dev/sda" } }""", "hardware.watchdog")]
    [InlineData("""{ "hardware": { "watchdogTimeout": 0 } }""", "hardware.watchdogTimeout")]
    [InlineData("""{ "hardware": { "factoryResetCommand": ["rm", "-rf", "/"] } }""", "hardware.factoryResetCommand")]
    [InlineData("""{ "hardware": { "lde": "status" } }""", "lde")]
    [InlineData("""{ "hardwar": {} }""", "hardwar")]
    [InlineData("""{ "hardware": """, "agent.json")]
    public void Bad_values_are_refused_naming_the_key(string json, string named) =>
        Assert.Contains(named, Assert.Throws<AgentException>(() => Load(json)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_huge_file_is_refused()
    {
        File.WriteAllText(_dir.Combine("agent.json"), "{" + new string(' ', 70_000) + "}");
        Assert.Contains("at most", Assert.Throws<AgentException>(() => HardwareConfig.Load(_dir.Combine("agent.json"))).Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, StatusTracker, StatusLedState> Status => new()
    {
        { "started, nothing yet", new() { Joined = true }, StatusLedState.Booting },
        { "no token", new() { Joined = false }, StatusLedState.WaitingForToken },
        { "token there, joining", new() { Joined = false, TokenPresent = true }, StatusLedState.Enrolling },
        { "connected", new() { Joined = true, BrokerUp = true, LastApplyOk = true }, StatusLedState.Connected },
        { "server away, tunnels up", new() { Joined = true, BrokerUp = false, LastApplyOk = true }, StatusLedState.ServerUnreachable },
        { "apply failed", new() { Joined = true, BrokerUp = true, LastApplyOk = false }, StatusLedState.Error },
        { "identify over an error", new() { Joined = true, LastApplyOk = false, IdentifyUntil = DateTimeOffset.MaxValue }, StatusLedState.Identify },
        { "identify over waiting", new() { Joined = false, IdentifyUntil = DateTimeOffset.MaxValue }, StatusLedState.Identify },
        { "button down over identify", new() { Joined = true, ButtonDown = true, IdentifyUntil = DateTimeOffset.MaxValue }, StatusLedState.ButtonHeld },
        { "armed over everything", new() { Joined = true, ButtonDown = true, ResetArmed = true }, StatusLedState.FactoryResetArmed },
        { "identify over", new() { Joined = true, BrokerUp = true, LastApplyOk = true, IdentifyUntil = DateTimeOffset.UnixEpoch }, StatusLedState.Connected },
    };

    [Theory]
    [MemberData(nameof(Status))]
    public void The_led_follows_the_agents_facts(string name, StatusTracker facts, StatusLedState expected) =>
        Assert.True(expected == facts.Current(DateTimeOffset.UtcNow), $"{name}: {facts.Current(DateTimeOffset.UtcNow)}");
}
