using System.Globalization;

namespace Appliance.Hardware.Led;

/// <summary>
/// The status LED: shows a <see cref="StatusLedState"/> through its pattern, writing only when the pattern changes.
/// A missing or failing LED is a log line (once per failure kind), never an exception.
/// </summary>
public sealed class StatusLed(ILedDevice device, TextWriter log)
{
    private LedPattern? _shown;
    private string? _lastError;
    private int _maxBrightness;
    private IReadOnlyCollection<string>? _triggers;

    /// <summary>The state shown last (null before the first).</summary>
    public StatusLedState? State { get; private set; }

    /// <summary>True when the LED took the pattern of <see cref="State"/> (false after a write failed).</summary>
    public bool ShowsState => _shown is not null;

    public void Show(StatusLedState state)
    {
        State = state;
        var pattern = StatusLedPatterns.For(state);
        if (_shown == pattern)
        {
            return;
        }
        try
        {
            if (_triggers is null)
            {
                _maxBrightness = int.TryParse(device.Read("max_brightness"), NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : 1;
                _triggers = LedPlan.ParseTriggers(device.Read("trigger")).Available;
                var missing = new[] { "timer", "heartbeat", "default-on" }.Where(t => !_triggers.Contains(t)).ToList();
                if (missing.Count > 0)
                {
                    log.WriteLine($"status LED {device.Name}: the kernel offers no {string.Join("/", missing)} trigger (modprobe ledtrig-{string.Join(" ledtrig-", missing)}); those patterns show as a fixed level");
                }
            }
            foreach (var w in LedPlan.For(pattern, _maxBrightness, _triggers))
            {
                device.Write(w.Attribute, w.Value);
            }
            _shown = pattern;
            _lastError = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _shown = null;
            _triggers = null;
            if (_lastError != e.Message)
            {
                _lastError = e.Message;
                log.WriteLine($"status LED {device.Name}: cannot show {state} ({e.Message})");
            }
        }
    }
}
