namespace Appliance.Hardware.Button;

/// <summary>
/// The press-timing state machine of a reset button (pure: edges and ticks in, actions out). A level counts only
/// once it has been stable for <see cref="Debounce"/> (contact bounce of a bare GPIO line makes a burst of edges);
/// the press is timed from its first edge. Released before <see cref="Hold"/>: a short press. Held for
/// <see cref="Hold"/> (OpenWRT's 5 s): armed, and the release is a factory reset. Held past <see cref="MaxHold"/>:
/// a stuck button or line, so the release does nothing (a box must not reset itself because a key jammed).
/// </summary>
public sealed class ButtonTiming
{
    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromMilliseconds(30);
    public static readonly TimeSpan DefaultHold = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMaxHold = TimeSpan.FromSeconds(30);

    private bool _raw;
    private DateTimeOffset _rawSince;
    private bool _down;
    private DateTimeOffset _downSince;
    private bool _armed;
    private bool _cancelled;

    public ButtonTiming(TimeSpan? debounce = null, TimeSpan? hold = null, TimeSpan? maxHold = null)
    {
        Debounce = debounce ?? DefaultDebounce;
        Hold = hold ?? DefaultHold;
        MaxHold = maxHold ?? DefaultMaxHold;
        if (Debounce < TimeSpan.Zero || Hold <= Debounce || MaxHold <= Hold)
        {
            throw new ArgumentException($"button timing needs 0 <= debounce < hold < max hold (got {Debounce}, {Hold}, {MaxHold})");
        }
    }

    public TimeSpan Debounce { get; }

    public TimeSpan Hold { get; }

    public TimeSpan MaxHold { get; }

    /// <summary>True while the (debounced) button is down.</summary>
    public bool IsDown => _down;

    /// <summary>A raw edge: the line or key is now <paramref name="pressed"/>, at <paramref name="at"/>.</summary>
    public ButtonAction Edge(bool pressed, DateTimeOffset at)
    {
        // Whatever had settled before this edge counts first.
        var settled = Tick(at);
        if (pressed != _raw)
        {
            _raw = pressed;
            _rawSince = at;
        }
        return settled;
    }

    /// <summary>Time passes with no edge: a level settles, a hold is reached.</summary>
    public ButtonAction Tick(DateTimeOffset now)
    {
        if (_raw != _down && now - _rawSince >= Debounce)
        {
            _down = _raw;
            if (_down)
            {
                _downSince = _rawSince;
                _armed = false;
                _cancelled = false;
                return HoldReached(now) is var a && a != ButtonAction.None ? a : ButtonAction.Pressed;
            }
            var action = _cancelled ? ButtonAction.None : _armed ? ButtonAction.FactoryReset : ButtonAction.ShortPress;
            _armed = false;
            _cancelled = false;
            return action;
        }
        return _down ? HoldReached(now) : ButtonAction.None;
    }

    /// <summary>When <see cref="Tick"/> next has something to decide (null: only an edge changes anything).</summary>
    public DateTimeOffset? NextDeadline =>
        _raw != _down ? _rawSince + Debounce
        : !_down || _cancelled ? null
        : _armed ? _downSince + MaxHold
        : _downSince + Hold;

    private ButtonAction HoldReached(DateTimeOffset now)
    {
        if (_cancelled)
        {
            return ButtonAction.None;
        }
        if (now - _downSince >= MaxHold)
        {
            _cancelled = true;
            _armed = false;
            return ButtonAction.Cancelled;
        }
        if (!_armed && now - _downSince >= Hold)
        {
            _armed = true;
            return ButtonAction.ResetArmed;
        }
        return ButtonAction.None;
    }
}
