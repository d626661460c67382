namespace Appliance.Hardware.Gpio;

/// <summary>
/// One input line asked of a GPIO chip with both-edge detection: <see cref="ActiveLow"/> makes the kernel report the
/// logical level (pressed = active = rising edge), <see cref="Debounce"/> is the kernel's debounce attribute (done in
/// hardware where the chip can, else by gpiolib in software; zero: none).
/// </summary>
public sealed record GpioLineRequest(uint Line, bool ActiveLow, GpioBias Bias, TimeSpan Debounce, string Consumer = GpioLineRequest.DefaultConsumer)
{
    /// <summary>What <c>gpioinfo</c> shows as the line's user.</summary>
    public const string DefaultConsumer = "appliance-agent";

    /// <summary>The longest debounce the request carries (the kernel takes microseconds in a __u32; a person needs far less).</summary>
    public static readonly TimeSpan MaxDebounce = TimeSpan.FromSeconds(1);
}
