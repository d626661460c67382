using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Hardware.Button;

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

    /// <summary><c>auto</c> (the first input device with <see cref="ButtonKey"/>), <c>/dev/input/eventN</c>, or <c>gpio:N</c>.</summary>
    public string? Button { get; init; }

    /// <summary>The key of an input-device button: a number or a name (<c>restart</c>, the default; <c>power</c>...).</summary>
    public string? ButtonKey { get; init; }

    /// <summary>A GPIO button is active low (to ground, with pull-up) unless this is false.</summary>
    public bool? ButtonActiveLow { get; init; }

    /// <summary>A kernel watchdog device the agent feeds itself (<c>/dev/watchdog</c>) on a box without systemd or procd owning it.</summary>
    public string? Watchdog { get; init; }

    /// <summary>Seconds; 1..3600, default 30.</summary>
    public int? WatchdogTimeout { get; init; }

    /// <summary>What a factory reset runs after wiping the state (argv); default on systemd: re-arm the first-boot unit.</summary>
    public IReadOnlyList<string>? FactoryResetCommand { get; init; }

    public bool Any => Led is not null || Button is not null || Watchdog is not null;

    /// <summary>Reads the <c>hardware</c> section of a config file; a missing file is no hardware. Bad content names the key.</summary>
    public static HardwareConfig Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new HardwareConfig();
        }
        if (info.Length > MaxFileBytes)
        {
            throw new AgentException($"{path} is {info.Length} bytes; at most {MaxFileBytes}");
        }
        AgentConfigFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), HardwareJsonContext.Default.AgentConfigFile);
        }
        catch (JsonException e)
        {
            throw new AgentException($"{path}: {e.Message}");
        }
        return (file?.Hardware ?? new HardwareConfig()).Validated(path);
    }

    /// <summary>Checks every value, naming the bad one; returns itself.</summary>
    public HardwareConfig Validated(string source)
    {
        if (Led is { } led && (led.Length is 0 or > 64 || led.Contains('/', StringComparison.Ordinal) || led is "." or ".."))
        {
            throw new AgentException($"{source}: hardware.led '{led}' is not an LED name (ls /sys/class/leds)");
        }
        if (Button is { } b && b != "auto" && !b.StartsWith("/dev/input/", StringComparison.Ordinal) && TryGpio(b) is null)
        {
            throw new AgentException($"{source}: hardware.button '{b}' must be auto, /dev/input/eventN or gpio:N");
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

    /// <summary>The GPIO line of <c>gpio:N</c>, else null.</summary>
    public static int? TryGpio(string button) =>
        button.StartsWith("gpio:", StringComparison.Ordinal) && int.TryParse(button.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pin) && pin < 10_000 ? pin : null;
}

/// <summary><c>/etc/appliance/agent.json</c>: the agent's own settings file (today only its <c>hardware</c> section).</summary>
public sealed record AgentConfigFile
{
    public HardwareConfig? Hardware { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(AgentConfigFile))]
internal sealed partial class HardwareJsonContext : JsonSerializerContext;
