namespace Appliance.Hardware.Display;

/// <summary>How often the display redraws; every value is bounded, out-of-range values are refused by name.</summary>
public sealed record DisplayOptions
{
    public static readonly TimeSpan MinRefresh = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxRefresh = TimeSpan.FromMinutes(1);

    /// <summary>How often the status is read and the page redrawn (only changed pages go over the bus).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Least time between two frames, however fast the button is pressed: a frame is about 1 KiB, ~100 ms on a
    /// 100 kHz bus, and the bus may be shared with other devices.
    /// </summary>
    public TimeSpan MinFrameInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a display that stopped answering is tried again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws naming the first option out of its range.</summary>
    public void Validate()
    {
        Check(nameof(RefreshInterval), RefreshInterval, MinRefresh, MaxRefresh);
        Check(nameof(MinFrameInterval), MinFrameInterval, TimeSpan.FromMilliseconds(20), MaxRefresh);
        Check(nameof(RetryInterval), RetryInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
    }

    private static void Check(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min.TotalSeconds:0.###}..{max.TotalSeconds:0.###} s");
        }
    }
}
