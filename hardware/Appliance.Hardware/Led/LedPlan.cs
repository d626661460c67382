using System.Globalization;

namespace Appliance.Hardware.Led;

/// <summary>
/// Turns a pattern into the sysfs writes that make the kernel run it (pure). The trigger goes first: writing it
/// resets the brightness, and the timer trigger makes delay_on/delay_off appear only once it is set. A trigger the
/// kernel does not offer (its module not loaded) falls back to a fixed level, so the LED still says something.
/// </summary>
public static class LedPlan
{
    public static IReadOnlyList<LedWrite> For(LedPattern pattern, int maxBrightness, IReadOnlyCollection<string> availableTriggers)
    {
        var on = Math.Max(1, maxBrightness).ToString(CultureInfo.InvariantCulture);
        var name = TriggerName(pattern.Trigger);
        if (pattern.Trigger != LedTrigger.None && !availableTriggers.Contains(name))
        {
            return [new("trigger", "none"), new("brightness", pattern.On ? on : "0")];
        }
        return pattern.Trigger switch
        {
            LedTrigger.None => [new("trigger", "none"), new("brightness", pattern.On ? on : "0")],
            // The timer trigger blinks at the brightness set before it (0 would blink dark): set it first.
            LedTrigger.Timer =>
            [
                new("brightness", on), new("trigger", name),
                new("delay_on", pattern.DelayOnMs.ToString(CultureInfo.InvariantCulture)),
                new("delay_off", pattern.DelayOffMs.ToString(CultureInfo.InvariantCulture)),
            ],
            _ => [new("brightness", on), new("trigger", name)],
        };
    }

    public static string TriggerName(LedTrigger trigger) => trigger switch
    {
        LedTrigger.None => "none",
        LedTrigger.Timer => "timer",
        LedTrigger.Heartbeat => "heartbeat",
        LedTrigger.DefaultOn => "default-on",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };

    /// <summary>
    /// Parses a <c>trigger</c> file: the triggers the kernel offers, space-separated, the active one in brackets
    /// (<c>none [timer] heartbeat</c>).
    /// </summary>
    public static (IReadOnlyList<string> Available, string? Active) ParseTriggers(string text)
    {
        var available = new List<string>();
        string? active = null;
        foreach (var word in text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Length > 2 && word[0] == '[' && word[^1] == ']')
            {
                active = word[1..^1];
                available.Add(active);
            }
            else
            {
                available.Add(word);
            }
        }
        return (available, active);
    }
}
