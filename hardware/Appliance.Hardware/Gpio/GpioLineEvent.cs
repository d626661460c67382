namespace Appliance.Hardware.Gpio;

/// <summary>
/// One <c>struct gpio_v2_line_event</c>: the line's logical level went up (<see cref="Rising"/>) or down, at
/// <see cref="TimestampNs"/> on CLOCK_MONOTONIC; <see cref="Seqno"/> counts the request's events (a gap: the kernel's
/// event buffer overflowed).
/// </summary>
public readonly record struct GpioLineEvent(ulong TimestampNs, bool Rising, uint Line, uint Seqno);
