namespace Appliance.Hardware.Led;

/// <summary>
/// What an LED shows, as the kernel runs it: a trigger (and for <see cref="LedTrigger.Timer"/> its on/off times), or
/// with <see cref="LedTrigger.None"/> a fixed level. The kernel keeps running it when the agent stops.
/// </summary>
public readonly record struct LedPattern(LedTrigger Trigger, bool On, int DelayOnMs = 0, int DelayOffMs = 0)
{
    /// <summary>Dark.</summary>
    public static LedPattern Off { get; } = new(LedTrigger.None, false);

    /// <summary>Solid on.</summary>
    public static LedPattern Solid { get; } = new(LedTrigger.DefaultOn, true);

    /// <summary>The kernel's heartbeat: a double pulse.</summary>
    public static LedPattern Heartbeat { get; } = new(LedTrigger.Heartbeat, true);

    /// <summary>On <paramref name="onMs"/>, off <paramref name="offMs"/>, repeated (1..60000 ms each).</summary>
    public static LedPattern Blink(int onMs, int offMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(onMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(offMs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(onMs, 60_000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offMs, 60_000);
        return new LedPattern(LedTrigger.Timer, true, onMs, offMs);
    }

    public override string ToString() => Trigger switch
    {
        LedTrigger.None => On ? "on" : "off",
        LedTrigger.Timer => $"timer {DelayOnMs}/{DelayOffMs} ms",
        LedTrigger.Heartbeat => "heartbeat",
        _ => "default-on",
    };
}
