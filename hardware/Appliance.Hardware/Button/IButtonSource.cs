namespace Appliance.Hardware.Button;

/// <summary>Where raw button edges come from: an evdev key (<see cref="EvdevButton"/>; gpio-keys makes one of a GPIO line).</summary>
public interface IButtonSource : IDisposable
{
    /// <summary>What the source reads (<c>/dev/input/event2 key 408</c>, <c>gpiochip0 line 17</c>), for log lines.</summary>
    string Description { get; }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next edge; null when none came. Blocking (the monitor calls it
    /// on its own thread); an I/O failure throws <see cref="IOException"/>.
    /// </summary>
    ButtonEdge? WaitForEdge(TimeSpan timeout);
}
