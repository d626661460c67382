namespace Appliance.Hardware.Button;

/// <summary>What a change of the button means, as <see cref="ButtonTiming"/> decides it.</summary>
public enum ButtonAction
{
    None,
    /// <summary>The button went down (after debouncing): show that it is held.</summary>
    Pressed,
    /// <summary>Released before the hold time: show status (identify blink, next display page).</summary>
    ShortPress,
    /// <summary>Held for the hold time: letting go now is a factory reset.</summary>
    ResetArmed,
    /// <summary>Released after <see cref="ResetArmed"/>: reset the box.</summary>
    FactoryReset,
    /// <summary>Held far longer than a person would (a stuck button or line): nothing happens on release.</summary>
    Cancelled,
}
