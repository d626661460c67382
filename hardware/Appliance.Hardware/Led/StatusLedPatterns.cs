namespace Appliance.Hardware.Led;

/// <summary>
/// The status LED's table: one distinct pattern per <see cref="StatusLedState"/>, told apart by rhythm
/// (hardware/Led/README.md has the same table for users).
/// </summary>
public static class StatusLedPatterns
{
    public static LedPattern For(StatusLedState state) => state switch
    {
        // Mostly on with short gaps: alive, not yet anything else.
        StatusLedState.Booting => LedPattern.Blink(500, 100),
        // A slow, even blink: put the join token on the APPLBOOT partition.
        StatusLedState.WaitingForToken => LedPattern.Blink(1000, 1000),
        // A quick, even blink: joining with the token.
        StatusLedState.Enrolling => LedPattern.Blink(200, 200),
        StatusLedState.Connected => LedPattern.Solid,
        // The kernel's double pulse: the mesh works from the last state, the server is away.
        StatusLedState.ServerUnreachable => LedPattern.Heartbeat,
        // A short blip every 2 s: something needs a look (`appliance-agent status`, the journal).
        StatusLedState.Error => LedPattern.Blink(100, 1900),
        // A fast flicker that catches the eye in a rack.
        StatusLedState.Identify => LedPattern.Blink(50, 50),
        // Dark while the button is down: the press is seen.
        StatusLedState.ButtonHeld => LedPattern.Off,
        // Frantic: let go now and the box is reset.
        StatusLedState.FactoryResetArmed => LedPattern.Blink(25, 25),
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}
