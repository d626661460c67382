namespace Appliance.Hardware.Gpio;

/// <summary>A requested GPIO input line with edge detection: the descriptor <c>GPIO_V2_GET_LINE_IOCTL</c> handed out.</summary>
public interface IGpioLine : IDisposable
{
    /// <summary>What the line is (<c>/dev/gpiochip0 [pinctrl-bcm2711] line 17</c>), for log lines.</summary>
    string Description { get; }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for edge events and reads whole <c>gpio_v2_line_event</c> records into
    /// <paramref name="buffer"/>; returns the bytes read, 0 when none came. An I/O failure throws <see cref="IOException"/>.
    /// </summary>
    int ReadEvents(Span<byte> buffer, TimeSpan timeout);
}
