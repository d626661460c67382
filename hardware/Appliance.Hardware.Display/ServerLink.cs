namespace Appliance.Hardware.Display;

/// <summary>The agent's link to its coordination server (the MQTT broker session).</summary>
public enum ServerLink
{
    /// <summary>Not tried yet (starting, or not joined).</summary>
    Unknown,
    Connected,
    Unreachable,
}
