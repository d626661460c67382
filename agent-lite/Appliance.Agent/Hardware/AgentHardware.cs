using Appliance.Hardware;
using Appliance.Hardware.Button;
using Appliance.Hardware.Led;
using Appliance.Hardware.Watchdog;

namespace Appliance.Agent.Hardware;

/// <summary>
/// The agent's status hardware: the LED follows <see cref="StatusTracker"/>, the button's short press blinks
/// identify (and turns a display page), its 5 s hold asks for a factory reset, and the watchdogs are fed while
/// <see cref="Health"/> says every loop is alive. A device that is missing or fails is a log line.
/// </summary>
public sealed class AgentHardware : IAgentEvents, IAsyncDisposable
{
    /// <summary>How long a short press of the button blinks identify.</summary>
    public static readonly TimeSpan PressIdentify = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly StatusLed? _led;
    private readonly IButtonSource? _button;
    private readonly IReadOnlyList<IWatchdog> _watchdogs;
    private readonly SystemdNotify? _notify;
    private readonly TextWriter _log;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private ITimer? _identifyTimer;

    public AgentHardware(TextWriter log, TimeProvider clock, ILedDevice? led = null, IButtonSource? button = null, IReadOnlyList<IWatchdog>? watchdogs = null,
        SystemdNotify? notify = null, IStatusPages? pages = null)
    {
        _log = log;
        _clock = clock;
        _led = led is null ? null : new StatusLed(led, log);
        _button = button;
        _watchdogs = watchdogs ?? [];
        _notify = notify;
        Pages = pages;
        Health = new WatchdogHealth(clock);
    }

    /// <summary>The loops whose liveness decides the feeding (the daemon registers its own).</summary>
    public WatchdogHealth Health { get; }

    public StatusTracker Tracker { get; } = new();

    /// <summary>A display the short press turns the page of (the display's project implements it).</summary>
    public IStatusPages? Pages { get; set; }

    /// <summary>Raised (on the button's thread) when the button was held 5 s and let go.</summary>
    public event Action? FactoryResetRequested;

    /// <summary>What the LED shows now (null without an LED).</summary>
    public StatusLedState? Shown => _led?.State;

    /// <summary>Opens what <paramref name="config"/> names; each device that cannot be opened is a log line and is left out.</summary>
    public static AgentHardware Open(HardwareConfig config, TextWriter log, TimeProvider clock)
    {
        ILedDevice? led = null;
        if (config.Led is { } name)
        {
            var sysfs = new SysfsLed(name);
            if (sysfs.Exists)
            {
                led = sysfs;
            }
            else
            {
                log.WriteLine($"status LED: no {SysfsLed.ClassDirectory}/{name} (ls {SysfsLed.ClassDirectory}); running without it");
            }
        }
        IButtonSource? button = null;
        try
        {
            button = config.Button switch
            {
                null => null,
                "auto" => EvdevButton.Find(config.Key) is { } path ? EvdevButton.Open(path, config.Key, clock)
                    : throw new IOException($"no input device has key {config.Key}"),
                // System.Device.Gpio's GpioController over libgpiod 1.x when the OS has it, else our own GPIO
                // character-device interop; the driver picked is logged (hardware/README.md "GPIO").
                _ when config.Gpio is { } gpio => GpioButtons.Open(gpio, config.Bias, ButtonTiming.DefaultDebounce, clock, log),
                var b => EvdevButton.Open(b, config.Key, clock),
            };
        }
        catch (IOException e)
        {
            log.WriteLine($"button: {e.Message}; running without it");
        }
        var watchdogs = new List<IWatchdog>();
        var notify = SystemdNotify.FromEnvironment();
        if (notify is { Timeout.Ticks: > 0 })
        {
            watchdogs.Add(notify);
        }
        if (config.Watchdog is { } dev)
        {
            try
            {
                watchdogs.Add(KernelWatchdog.Open(dev, TimeSpan.FromSeconds(config.WatchdogTimeout ?? 30)));
            }
            catch (IOException e)
            {
                log.WriteLine($"watchdog: {e.Message}; running without it");
            }
        }
        return new AgentHardware(log, clock, led, button, watchdogs, notify);
    }

    /// <summary>Starts the button and the watchdog feeding, shows the current state and tells systemd the agent is up.</summary>
    public void Start()
    {
        Refresh();
        if (_button is not null)
        {
            _running.Add(new ButtonMonitor(_button, new ButtonTiming(), OnButton, _log, _clock).RunAsync(_stop.Token));
        }
        if (_watchdogs.Count > 0)
        {
            _running.Add(new WatchdogFeeder(Health, _watchdogs, _log, _clock).RunAsync(_stop.Token));
        }
        try
        {
            _notify?.Send("READY=1");
        }
        catch (IOException e)
        {
            _log.WriteLine(e.Message);
        }
    }

    /// <summary>Shows what the tracker says now.</summary>
    public void Refresh()
    {
        lock (_lock)
        {
            _led?.Show(Tracker.Current(_clock.GetUtcNow()));
        }
    }

    /// <summary>Changes the tracker's facts and shows the result.</summary>
    public void Update(Action<StatusTracker> change)
    {
        lock (_lock)
        {
            change(Tracker);
        }
        Refresh();
    }

    public void Applied(bool ok) => Update(t => t.LastApplyOk = ok);

    public void BrokerConnected(bool up) => Update(t => t.BrokerUp = up);

    public void Identify(TimeSpan duration)
    {
        _log.WriteLine($"identify: blinking for {duration.TotalSeconds:0} s");
        lock (_lock)
        {
            Tracker.IdentifyUntil = _clock.GetUtcNow() + duration;
            _identifyTimer?.Dispose();
            // The LED goes back to the status when the blink time is over.
            _identifyTimer = _clock.CreateTimer(_ => Refresh(), null, duration, Timeout.InfiniteTimeSpan);
        }
        Refresh();
    }

    internal void OnButton(ButtonAction action)
    {
        switch (action)
        {
            case ButtonAction.Pressed:
                Update(t => t.ButtonDown = true);
                break;
            case ButtonAction.ShortPress:
                Update(t => t.ButtonDown = false);
                Identify(PressIdentify);
                Pages?.NextPage();
                break;
            case ButtonAction.ResetArmed:
                _log.WriteLine("button: held 5 s; let go to reset this box to first-boot enrollment");
                Update(t => t.ResetArmed = true);
                break;
            case ButtonAction.Cancelled:
                _log.WriteLine("button: held too long (a stuck button?); no factory reset");
                Update(t => (t.ButtonDown, t.ResetArmed) = (false, false));
                break;
            case ButtonAction.FactoryReset:
                _log.WriteLine("button: factory reset");
                Update(t => (t.ButtonDown, t.ResetArmed) = (false, false));
                FactoryResetRequested?.Invoke();
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        _identifyTimer?.Dispose();
        _button?.Dispose();
        // A stop on purpose: the kernel watchdog gets its magic close.
        foreach (var w in _watchdogs)
        {
            w.Dispose();
        }
        if (_notify is not null && !_watchdogs.Contains(_notify))
        {
            _notify.Dispose();
        }
        _stop.Dispose();
    }
}
