using System.Collections.Concurrent;
using System.Device.Gpio;

namespace Appliance.Hardware.Button;

/// <summary>
/// A button on a bare GPIO line through System.Device.Gpio (boards without a gpio-keys overlay). Active low by
/// default: the usual wiring is the line to ground through the button, with the SoC's pull-up.
/// </summary>
public sealed class GpioButton : IButtonSource
{
    private readonly GpioController _controller;
    private readonly int _pin;
    private readonly bool _activeLow;
    private readonly TimeProvider _clock;
    private readonly BlockingCollection<ButtonEdge> _edges = new(64);

    private GpioButton(GpioController controller, int pin, bool activeLow, TimeProvider clock)
    {
        _controller = controller;
        _pin = pin;
        _activeLow = activeLow;
        _clock = clock;
        Description = $"GPIO line {pin}{(activeLow ? " (active low)" : string.Empty)}";
    }

    public string Description { get; }

    /// <summary>Opens line <paramref name="pin"/> as an input with a pull-up (active low) or pull-down; throws <see cref="IOException"/> when it cannot.</summary>
    public static GpioButton Open(int pin, bool activeLow = true, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        GpioController? controller = null;
        try
        {
            controller = new GpioController();
            controller.OpenPin(pin, activeLow ? PinMode.InputPullUp : PinMode.InputPullDown);
            var button = new GpioButton(controller, pin, activeLow, clock ?? TimeProvider.System);
            controller.RegisterCallbackForPinValueChangedEvent(pin, PinEventTypes.Falling | PinEventTypes.Rising, button.OnChanged);
            return button;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not IOException)
        {
            controller?.Dispose();
            throw new IOException($"cannot open GPIO line {pin}: {e.Message}", e);
        }
    }

    private void OnChanged(object sender, PinValueChangedEventArgs e)
    {
        var high = e.ChangeType == PinEventTypes.Rising;
        // A full queue (nobody reading) drops edges rather than blocking the driver's thread.
        _edges.TryAdd(new ButtonEdge(high != _activeLow, _clock.GetUtcNow()));
    }

    public ButtonEdge? WaitForEdge(TimeSpan timeout) =>
        _edges.TryTake(out var edge, timeout) ? edge : null;

    public void Dispose()
    {
        _controller.Dispose();
        _edges.Dispose();
    }
}
