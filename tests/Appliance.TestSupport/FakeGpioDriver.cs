using System.Device.Gpio;

namespace Appliance.TestSupport;

/// <summary>
/// A System.Device.Gpio driver without hardware: it records the mode each pin was set to, refuses the modes a test
/// says it cannot do, and raises the registered edge callbacks when a test calls <see cref="Raise"/> (as
/// LibGpiodDriver does from its event thread).
/// </summary>
public sealed class FakeGpioDriver(int pinCount = 8, params PinMode[] unsupported) : GpioDriver
{
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, (PinEventTypes Types, PinChangeEventHandler Callback)> _callbacks = [];
    private readonly Lock _lock = new();

    /// <summary>The modes set, in order, as (pin, mode).</summary>
    public List<(int Pin, PinMode Mode)> ModesSet { get; } = [];

    public bool Disposed { get; private set; }

    /// <summary>Whether a callback is registered on <paramref name="pin"/>.</summary>
    public bool Listening(int pin)
    {
        lock (_lock)
        {
            return _callbacks.ContainsKey(pin);
        }
    }

    /// <summary>An edge on <paramref name="pin"/>, delivered to its callback when it asked for that edge.</summary>
    public void Raise(int pin, PinEventTypes edge)
    {
        PinChangeEventHandler? callback;
        lock (_lock)
        {
            callback = _callbacks.TryGetValue(pin, out var c) && (c.Types & edge) != 0 ? c.Callback : null;
        }
        callback?.Invoke(this, new PinValueChangedEventArgs(edge, pin));
    }

    protected override int PinCount => pinCount;

    protected override void OpenPin(int pinNumber)
    {
        if (pinNumber < 0 || pinNumber >= pinCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pinNumber));
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            _modes.Remove(pinNumber);
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_lock)
        {
            _modes[pinNumber] = mode;
            ModesSet.Add((pinNumber, mode));
        }
    }

    protected override PinMode GetPinMode(int pinNumber)
    {
        lock (_lock)
        {
            return _modes.TryGetValue(pinNumber, out var m) ? m : PinMode.Input;
        }
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => !unsupported.Contains(mode);

    protected override PinValue Read(int pinNumber) => PinValue.Low;

    protected override void Write(int pinNumber, PinValue value) => throw new InvalidOperationException("an input");

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the fake raises callbacks only");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            _callbacks[pinNumber] = (eventTypes, callback);
        }
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            _callbacks.Remove(pinNumber);
        }
    }

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
