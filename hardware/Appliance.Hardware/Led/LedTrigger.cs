namespace Appliance.Hardware.Led;

/// <summary>The kernel LED triggers the status patterns use (<c>/sys/class/leds/&lt;name&gt;/trigger</c>).</summary>
public enum LedTrigger
{
    /// <summary><c>none</c>: the brightness written stays.</summary>
    None,
    /// <summary><c>timer</c> (ledtrig-timer): on for delay_on ms, off for delay_off ms, in the kernel.</summary>
    Timer,
    /// <summary><c>heartbeat</c> (ledtrig-heartbeat): a double pulse whose rate follows the load.</summary>
    Heartbeat,
    /// <summary><c>default-on</c> (ledtrig-default-on): on at full brightness.</summary>
    DefaultOn,
}
