namespace Appliance.Hardware.Led;

/// <summary>What the box tells through its status LED (the table is <see cref="StatusLedPatterns"/>).</summary>
public enum StatusLedState
{
    Booting,
    WaitingForToken,
    Enrolling,
    Connected,
    /// <summary>The server (its MQTT broker) is unreachable, but the last state is applied: tunnels are up.</summary>
    ServerUnreachable,
    Error,
    /// <summary>`appliance-server node identify` or a short press: find this box in the rack.</summary>
    Identify,
    /// <summary>The button is down (not yet long enough for a factory reset).</summary>
    ButtonHeld,
    /// <summary>The button has been held 5 s: letting go now resets the box to first-boot enrollment.</summary>
    FactoryResetArmed,
}
