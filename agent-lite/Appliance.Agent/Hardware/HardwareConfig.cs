using System.Text.Json.Serialization;
using Appliance.Hardware.Button;
using Appliance.Hardware.Gpio;

namespace Appliance.Agent.Hardware;

/// <summary>
/// The agent's status hardware, from the <c>hardware</c> section of <c>/etc/appliance/agent.json</c> and the `run`
/// flags (a flag wins). Nothing set: no hardware (the agent of a VM or a server room).
/// </summary>
public sealed record HardwareConfig
{
    public const string DefaultPath = "/etc/appliance/agent.json";
    public const long MaxFileBytes = 64 * 1024;

    /// <summary>An LED class device name (<c>/sys/class/leds/&lt;led&gt;</c>).</summary>
    public string? Led { get; init; }

    /// <summary>
    /// <c>auto</c> (the first input device with <see cref="ButtonKey"/>), <c>/dev/input/eventN</c>, or a bare GPIO line
    /// <c>gpio:&lt;chip&gt;:&lt;line&gt;[:active-high]</c> (<c>gpio:N</c>: line N of gpiochip0).
    /// </summary>
    public string? Button { get; init; }

    /// <summary>The key of an input-device button: a number or a name (<c>restart</c>, the default; <c>power</c>...).</summary>
    public string? ButtonKey { get; init; }

    /// <summary>A GPIO button is active low (to ground, with pull-up) unless this is false (or the button ends in <c>:active-high</c>).</summary>
    public bool? ButtonActiveLow { get; init; }

    /// <summary>A GPIO button's pull: <c>pull-up</c>, <c>pull-down</c>, <c>disabled</c> or <c>as-is</c>; default: the one that holds it inactive.</summary>
    public string? ButtonBias { get; init; }

    /// <summary>A kernel watchdog device the agent feeds itself (<c>/dev/watchdog</c>) on a box without systemd or procd owning it.</summary>
    public string? Watchdog { get; init; }

    /// <summary>Seconds; 1..3600, default 30.</summary>
    public int? WatchdogTimeout { get; init; }

    /// <summary>What a factory reset runs after wiping the state (argv); default on systemd: re-arm the first-boot unit.</summary>
    public IReadOnlyList<string>? FactoryResetCommand { get; init; }

    public bool Any => Led is not null || Button is not null || Watchdog is not null;

    /// <summary>Reads the <c>hardware</c> section of a config file; a missing file is no hardware. Bad content names the key.</summary>
    public static HardwareConfig Load(string path) => AgentConfigFile.Load(path).Hardware ?? new HardwareConfig();

    /// <summary>Checks every value, naming the bad one; returns itself.</summary>
    public HardwareConfig Validated(string source)
    {
        if (Led is { } led && (led.Length is 0 or > 64 || led.Contains('/', StringComparison.Ordinal) || led is "." or ".."))
        {
            throw new AgentException($"{source}: hardware.led '{led}' is not an LED name (ls /sys/class/leds)");
        }
        if (Button is { } b && b != "auto" && !(b.StartsWith("/dev/input/", StringComparison.Ordinal) && !b.Contains("/..", StringComparison.Ordinal)))
        {
            if (!b.StartsWith("gpio:", StringComparison.Ordinal))
            {
                throw new AgentException($"{source}: hardware.button '{b}' must be auto, /dev/input/eventN or gpio:<chip>:<line>[:active-high]");
            }
            if (!GpioButtonAddress.TryParse(b, out var gpio, out var why))
            {
                throw new AgentException($"{source}: hardware.button: {why}");
            }
            if (gpio.ActiveLow is { } low && ButtonActiveLow is { } said && low != said)
            {
                throw new AgentException($"{source}: hardware.button '{b}' and hardware.buttonActiveLow {(said ? "true" : "false")} disagree");
            }
        }
        if (ButtonBias is { } bias && ParseBias(bias) is null)
        {
            throw new AgentException($"{source}: hardware.buttonBias '{bias}' must be pull-up, pull-down, disabled or as-is");
        }
        try
        {
            _ = Key;
        }
        catch (FormatException e)
        {
            throw new AgentException($"{source}: hardware.buttonKey: {e.Message}");
        }
        if (Watchdog is { } w && !w.StartsWith("/dev/watchdog", StringComparison.Ordinal))
        {
            throw new AgentException($"{source}: hardware.watchdog '{w}' must be /dev/watchdog or /dev/watchdogN");
        }
        if (WatchdogTimeout is < 1 or > 3600)
        {
            throw new AgentException($"{source}: hardware.watchdogTimeout must be 1..3600 seconds, not {WatchdogTimeout}");
        }
        if (FactoryResetCommand is { } cmd && (cmd.Count is 0 or > 32 || cmd[0].Length == 0 || cmd[0][0] != '/'))
        {
            throw new AgentException($"{source}: hardware.factoryResetCommand must be an argv list starting with an absolute path");
        }
        return this;
    }

    [JsonIgnore]
    public ushort Key => ButtonKey is null ? EvdevCodec.KeyRestart : EvdevCodec.ParseKey(ButtonKey);

    /// <summary>The GPIO line of a <c>gpio:</c> button with its polarity settled (<see cref="ButtonActiveLow"/>, else active low); else null.</summary>
    [JsonIgnore]
    public GpioButtonAddress? Gpio => Button is { } b && GpioButtonAddress.TryParse(b, out var a, out _) ? a with { ActiveLow = a.ActiveLow ?? ButtonActiveLow ?? true } : null;

    /// <summary>The GPIO button's pull (<see cref="ButtonBias"/>, else the one that holds an idle button inactive).</summary>
    [JsonIgnore]
    public GpioBias Bias => (ButtonBias is null ? null : ParseBias(ButtonBias)) ?? GpioButton.DefaultBias(Gpio?.ActiveLow ?? true);

    private static GpioBias? ParseBias(string text) => text switch
    {
        "pull-up" => GpioBias.PullUp,
        "pull-down" => GpioBias.PullDown,
        "disabled" => GpioBias.Disabled,
        "as-is" => GpioBias.AsIs,
        _ => null,
    };
}
