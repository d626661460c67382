using Appliance.Hardware.Led;

namespace Appliance.Agent.Commands;

/// <summary>
/// `appliance-agent led STATE`: shows one status pattern on the LED of <c>hardware.led</c> (or <c>--led</c>) and exits.
/// The kernel's trigger keeps blinking after the process is gone, so appliance-firstboot shows booting, waiting for a
/// token and enrolling on a first boot, before any agent runs, with the agent's own pattern table.
/// </summary>
public static class LedCommand
{
    /// <summary>The state names the command takes, in the order of the LED table.</summary>
    public static readonly IReadOnlyList<string> StateNames =
        ["booting", "waiting-for-token", "enrolling", "connected", "server-unreachable", "error", "identify", "button-held", "factory-reset-armed"];

    /// <summary>A state by its name (<see cref="StateNames"/>); anything else is an error listing them.</summary>
    public static StatusLedState ParseState(string? name) => name switch
    {
        "booting" => StatusLedState.Booting,
        "waiting-for-token" => StatusLedState.WaitingForToken,
        "enrolling" => StatusLedState.Enrolling,
        "connected" => StatusLedState.Connected,
        "server-unreachable" => StatusLedState.ServerUnreachable,
        "error" => StatusLedState.Error,
        "identify" => StatusLedState.Identify,
        "button-held" => StatusLedState.ButtonHeld,
        "factory-reset-armed" => StatusLedState.FactoryResetArmed,
        null => throw new AgentException("led needs a state: " + string.Join(", ", StateNames), 2),
        _ => throw new AgentException($"'{(name.Length > 40 ? name[..40] + "..." : name)}' is not an LED state: {string.Join(", ", StateNames)}", 2),
    };

    /// <summary>
    /// Shows <paramref name="state"/> on <paramref name="led"/>; 0 when it took the pattern. No LED configured is
    /// not a failure (a box without one): a line says so and the exit code is 0.
    /// </summary>
    public static int Run(StatusLedState state, string? ledName, Func<string, ILedDevice?> open, TextWriter output)
    {
        if (ledName is null)
        {
            output.WriteLine("no status LED configured (hardware.led in /etc/appliance/agent.json, or --led NAME)");
            return 0;
        }
        var device = open(ledName) ?? throw new AgentException($"no LED {SysfsLed.ClassDirectory}/{ledName} (ls {SysfsLed.ClassDirectory})");
        var log = new StringWriter();
        var led = new StatusLed(device, log);
        led.Show(state);
        output.Write(log.ToString());
        if (!led.ShowsState)
        {
            throw new AgentException($"status LED {ledName}: {state} was not shown");
        }
        output.WriteLine($"status LED {ledName}: {state}");
        return 0;
    }

    /// <summary>The sysfs LED of that name, or null when the kernel has none.</summary>
    public static ILedDevice? OpenSysfs(string name) => new SysfsLed(name) is { Exists: true } led ? led : null;
}
