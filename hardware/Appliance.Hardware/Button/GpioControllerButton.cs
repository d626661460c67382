using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using Appliance.Hardware.Gpio;

namespace Appliance.Hardware.Button;

/// <summary>
/// A button on a GPIO line through System.Device.Gpio: the line is opened as an input with the pull resistor of
/// <see cref="GpioBias"/> (<c>PinMode.InputPullUp</c>/<c>InputPullDown</c>, or <c>Input</c> to keep the board's), and
/// the controller's rising and falling edge callbacks become <see cref="ButtonEdge"/>s (physical levels: for an
/// active-low button a falling edge is a press). Edges are stamped on the reader's clock when the callback runs
/// (the controller gives no kernel timestamps); <see cref="ButtonTiming"/> debounces them.
/// </summary>
public sealed class GpioControllerButton : IButtonSource
{
    /// <summary>Edges kept until the monitor takes them; beyond this a burst's newest are dropped (a bounce, or nobody reading).</summary>
    public const int MaxQueued = 64;

    private readonly GpioController _controller;
    private readonly int _pin;
    private readonly bool _activeLow;
    private readonly bool _shouldDispose;
    private readonly TimeProvider _clock;
    private readonly Queue<ButtonEdge> _edges = new();
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>
    /// Opens <paramref name="pin"/> of <paramref name="controller"/> as an input with <paramref name="bias"/> and
    /// listens to both edges; throws <see cref="IOException"/> naming <paramref name="description"/> when the driver
    /// refuses. The controller is disposed with the button when <paramref name="shouldDispose"/>.
    /// </summary>
    public GpioControllerButton(GpioController controller, int pin, bool activeLow, GpioBias bias, string description, TimeProvider? clock = null, bool shouldDispose = true)
    {
        _controller = controller;
        _pin = pin;
        _activeLow = activeLow;
        _shouldDispose = shouldDispose;
        _clock = clock ?? TimeProvider.System;
        Description = description;
        var mode = ToPinMode(bias);
        try
        {
            if (!controller.IsPinModeSupported(pin, mode))
            {
                throw new IOException($"{description}: the GPIO driver cannot set {mode}");
            }
            controller.OpenPin(pin, mode);
            controller.RegisterCallbackForPinValueChangedEvent(pin, PinEventTypes.Rising | PinEventTypes.Falling, OnChanged);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or PlatformNotSupportedException or IOException && e.Message.StartsWith(description, StringComparison.Ordinal) is false)
        {
            throw new IOException($"{description}: {e.Message}", e);
        }
    }

    public string Description { get; }

    /// <summary>
    /// Opens line <see cref="GpioButtonAddress.Line"/> of <see cref="GpioButtonAddress.ChipPath"/> through a
    /// <see cref="GpioController"/> over the driver of <paramref name="kind"/>, constructed here (no board detection,
    /// no <c>UnixDriver.Create</c>): <c>new LibGpiodDriver(chip)</c> (libgpiod 1.x from the OS) or
    /// <see cref="CdevGpioDriver"/> (with the kernel's <paramref name="debounce"/>). The chip is first asked for its
    /// label and line count by our own ioctl, so a line it does not have is named before any driver is asked; throws
    /// <see cref="IOException"/> saying what was wrong.
    /// </summary>
    public static GpioControllerButton Open(GpioButtonAddress address, GpioBias bias, TimeSpan debounce, GpioDriverKind kind, TimeProvider? clock = null)
    {
        var chip = GpioCdevLine.ReadChipInfo(address.ChipPath);
        if (address.Line >= chip.Lines)
        {
            throw new IOException(GpioCdevLine.NoSuchLine(address.ChipPath, chip, address.Line));
        }
        var description = $"{address.ChipPath} [{chip.Label}] line {address.Line}";
        GpioDriver driver;
        try
        {
            driver = kind == GpioDriverKind.LibGpiod
                ? new LibGpiodDriver(address.Chip)
                : new CdevGpioDriver(address.ChipPath, chip, debounce, r => GpioCdevLine.Open(address.ChipPath, r));
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or DllNotFoundException)
        {
            throw new IOException($"{address.ChipPath}: System.Device.Gpio's {kind} driver: {e.Message}", e);
        }
        var controller = new GpioController(driver);
        try
        {
            return new GpioControllerButton(controller, (int)address.Line, address.ActiveLow ?? true, bias, description, clock);
        }
        catch
        {
            controller.Dispose();
            throw;
        }
    }

    /// <summary>The input mode that asks for <paramref name="bias"/>; <see cref="GpioBias.Disabled"/> has none (<see cref="GpioDriverChoice"/> keeps it off this path).</summary>
    public static PinMode ToPinMode(GpioBias bias) => bias switch
    {
        GpioBias.PullUp => PinMode.InputPullUp,
        GpioBias.PullDown => PinMode.InputPullDown,
        GpioBias.AsIs => PinMode.Input,
        _ => throw new ArgumentException($"System.Device.Gpio has no input mode for bias {bias}", nameof(bias)),
    };

    public ButtonEdge? WaitForEdge(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_edges.Count == 0 && !_disposed)
            {
                Monitor.Wait(_gate, timeout);
            }
            return _edges.TryDequeue(out var edge) ? edge : null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        try
        {
            _controller.UnregisterCallbackForPinValueChangedEvent(_pin, OnChanged);
            _controller.ClosePin(_pin);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // Closing a line the driver already lost: nothing more to release.
        }
        if (_shouldDispose)
        {
            _controller.Dispose();
        }
    }

    private void OnChanged(object sender, PinValueChangedEventArgs e)
    {
        var pressed = (e.ChangeType == PinEventTypes.Rising) != _activeLow;
        lock (_gate)
        {
            if (_disposed || _edges.Count >= MaxQueued)
            {
                return;
            }
            _edges.Enqueue(new ButtonEdge(pressed, _clock.GetUtcNow()));
            Monitor.Pulse(_gate);
        }
    }
}
