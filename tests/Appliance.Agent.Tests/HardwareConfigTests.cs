using Appliance.Agent;
using Appliance.Agent.Hardware;
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
        Assert.Equal(17, HardwareConfig.TryGpio(c.Button!));
        Assert.Equal(408, c.Key);
    }

    [Theory]
    [InlineData("""{ "hardware": { "led": "../../etc" } }""", "hardware.led")]
    [InlineData("""{ "hardware": { "button": "/etc/shadow" } }""", "hardware.button")]
    [InlineData("""{ "hardware": { "button": "gpio:x" } }""", "hardware.button")]
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
