using System.Device.Gpio;

namespace Appliance.Hardware.Gpio;

/// <summary>
/// A System.Device.Gpio driver for input lines over the GPIO character device v2 (<see cref="GpioCdevLine"/>: no
/// library), so a <see cref="GpioController"/> works on a box without libgpiod. Setting a pin's mode requests its
/// line (input, the mode's bias, both edges, the kernel's debounce); registered callbacks are called from one reader
/// thread per listened pin with the kernel's edge events. Inputs only: <see cref="Write"/> and output modes are refused,
/// and <see cref="Read"/> gives the level the last edge left (the button needs edges, not samples).
/// </summary>
public sealed class CdevGpioDriver : GpioDriver
{
    /// <summary>How long the reader waits for events between looks at whether it should stop.</summary>
    public static readonly TimeSpan ReadSlice = TimeSpan.FromMilliseconds(500);

    private readonly string _chipPath;
    private readonly GpioChipInfo _chip;
    private readonly TimeSpan _debounce;
    private readonly Func<GpioLineRequest, IGpioLine> _request;
    private readonly Dictionary<int, Pin> _pins = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// A driver for <paramref name="chip"/> at <paramref name="chipPath"/>; <paramref name="request"/> asks the kernel
    /// for a line (<see cref="GpioCdevLine.Open"/>, or a fake in tests).
    /// </summary>
    public CdevGpioDriver(string chipPath, GpioChipInfo chip, TimeSpan debounce, Func<GpioLineRequest, IGpioLine> request)
    {
        _chipPath = chipPath;
        _chip = chip;
        _debounce = debounce;
        _request = request;
    }

    /// <summary>The driver for <paramref name="chipPath"/> (its line count read from the kernel); throws <see cref="IOException"/> saying what was wrong.</summary>
    public static CdevGpioDriver Open(string chipPath, TimeSpan debounce) =>
        new(chipPath, GpioCdevLine.ReadChipInfo(chipPath), debounce, r => GpioCdevLine.Open(chipPath, r));

    protected override int PinCount => (int)Math.Min(_chip.Lines, int.MaxValue);

    protected override void OpenPin(int pinNumber)
    {
        if (pinNumber < 0 || pinNumber >= PinCount)
        {
            throw new IOException(GpioCdevLine.NoSuchLine(_chipPath, _chip, (uint)Math.Max(0, pinNumber)));
        }
        lock (_lock)
        {
            _pins.TryAdd(pinNumber, new Pin(pinNumber));
        }
    }

    protected override void ClosePin(int pinNumber)
    {
        Pin? pin;
        lock (_lock)
        {
            _pins.Remove(pinNumber, out pin);
        }
        pin?.Close();
    }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.InputPullUp or PinMode.InputPullDown;

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        var bias = mode switch
        {
            PinMode.Input => GpioBias.AsIs,
            PinMode.InputPullUp => GpioBias.PullUp,
            PinMode.InputPullDown => GpioBias.PullDown,
            _ => throw new ArgumentException($"{_chipPath} line {pinNumber}: {nameof(CdevGpioDriver)} drives inputs only, not {mode}", nameof(mode)),
        };
        // Physical levels (not active-low): GpioController's callers expect them.
        var line = _request(new GpioLineRequest((uint)pinNumber, ActiveLow: false, bias, _debounce));
        OpenedPin(pinNumber).Replace(line, mode);
    }

    protected override PinMode GetPinMode(int pinNumber) => OpenedPin(pinNumber).Mode ?? PinMode.Input;

    protected override PinValue Read(int pinNumber) => OpenedPin(pinNumber).Level;

    protected override void Write(int pinNumber, PinValue value) =>
        throw new InvalidOperationException($"{_chipPath} line {pinNumber}: {nameof(CdevGpioDriver)} drives inputs only");

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        using var seen = new ManualResetEventSlim();
        var type = PinEventTypes.None;
        void OnEdge(object sender, PinValueChangedEventArgs e)
        {
            type = e.ChangeType;
            seen.Set();
        }
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, OnEdge);
        try
        {
            seen.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = type, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, OnEdge);
        }
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        if ((eventTypes & (PinEventTypes.Rising | PinEventTypes.Falling)) == 0)
        {
            throw new ArgumentException("listen to the rising edge, the falling edge or both", nameof(eventTypes));
        }
        var pin = OpenedPin(pinNumber);
        if (pin.Mode is null)
        {
            SetPinMode(pinNumber, PinMode.Input);
        }
        pin.Listen(eventTypes, callback, _chipPath);
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) => OpenedPin(pinNumber).Unlisten(callback);

    protected override void Dispose(bool disposing)
    {
        List<Pin> pins;
        lock (_lock)
        {
            pins = [.. _pins.Values];
            _pins.Clear();
        }
        foreach (var pin in pins)
        {
            pin.Close();
        }
        base.Dispose(disposing);
    }

    private Pin OpenedPin(int pinNumber)
    {
        lock (_lock)
        {
            return _pins.TryGetValue(pinNumber, out var pin) ? pin : throw new InvalidOperationException($"{_chipPath} line {pinNumber} is not open");
        }
    }

    /// <summary>One opened pin: its requested line, the callbacks and the thread that reads the line's events.</summary>
    private sealed class Pin(int number)
    {
        private readonly Lock _lock = new();
        private readonly List<(PinEventTypes Types, PinChangeEventHandler Callback)> _callbacks = [];
        private IGpioLine? _line;
        private Thread? _reader;
        private CancellationTokenSource? _stop;

        public PinMode? Mode { get; private set; }

        public PinValue Level { get; private set; } = PinValue.Low;

        public void Replace(IGpioLine line, PinMode mode)
        {
            StopReader();
            lock (_lock)
            {
                _line?.Dispose();
                _line = line;
                Mode = mode;
            }
            if (HasCallbacks)
            {
                StartReader();
            }
        }

        private bool HasCallbacks
        {
            get
            {
                lock (_lock)
                {
                    return _callbacks.Count > 0;
                }
            }
        }

        public void Listen(PinEventTypes types, PinChangeEventHandler callback, string chipPath)
        {
            bool start;
            lock (_lock)
            {
                _callbacks.Add((types, callback));
                start = _reader is null;
            }
            if (start)
            {
                StartReader(chipPath);
            }
        }

        public void Unlisten(PinChangeEventHandler callback)
        {
            bool stop;
            lock (_lock)
            {
                _callbacks.RemoveAll(c => c.Callback == callback);
                stop = _callbacks.Count == 0;
            }
            if (stop)
            {
                StopReader();
            }
        }

        public void Close()
        {
            StopReader();
            lock (_lock)
            {
                _callbacks.Clear();
                _line?.Dispose();
                _line = null;
                Mode = null;
            }
        }

        private void StartReader(string chipPath = "gpiochip")
        {
            IGpioLine line;
            CancellationTokenSource stop;
            lock (_lock)
            {
                if (_line is null || _reader is not null)
                {
                    return;
                }
                line = _line;
                stop = _stop = new CancellationTokenSource();
                _reader = new Thread(() => ReadLoop(line, stop.Token)) { IsBackground = true, Name = $"gpio {chipPath} {number}" };
            }
            _reader.Start();
        }

        private void StopReader()
        {
            Thread? reader;
            lock (_lock)
            {
                reader = _reader;
                _stop?.Cancel();
                _reader = null;
            }
            if (reader is not null && reader != Thread.CurrentThread)
            {
                reader.Join();
            }
            lock (_lock)
            {
                _stop?.Dispose();
                _stop = null;
            }
        }

        private void ReadLoop(IGpioLine line, CancellationToken stop)
        {
            var buffer = new byte[GpioCodec.EventSize * (int)GpioCodec.EventBufferSize];
            while (!stop.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = line.ReadEvents(buffer, ReadSlice);
                }
                catch (IOException)
                {
                    // The chip went away: no more edges (the controller's caller sees none; a button then does nothing).
                    return;
                }
                for (var off = 0; off + GpioCodec.EventSize <= n && !stop.IsCancellationRequested; off += GpioCodec.EventSize)
                {
                    var e = GpioCodec.ReadEvent(buffer.AsSpan(off, GpioCodec.EventSize));
                    var type = e.Rising ? PinEventTypes.Rising : PinEventTypes.Falling;
                    Level = e.Rising ? PinValue.High : PinValue.Low;
                    (PinEventTypes Types, PinChangeEventHandler Callback)[] callbacks;
                    lock (_lock)
                    {
                        callbacks = [.. _callbacks];
                    }
                    var args = new PinValueChangedEventArgs(type, number);
                    foreach (var (types, callback) in callbacks)
                    {
                        if ((types & type) != 0)
                        {
                            callback(this, args);
                        }
                    }
                }
            }
        }
    }
}
