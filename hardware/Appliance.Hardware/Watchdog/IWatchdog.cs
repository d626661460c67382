namespace Appliance.Hardware.Watchdog;

/// <summary>Something that resets or restarts when it is not fed in time: <c>/dev/watchdog</c> or the service manager.</summary>
public interface IWatchdog : IDisposable
{
    string Description { get; }

    /// <summary>How often it must be fed at least (the feeder feeds at a third of it).</summary>
    TimeSpan Timeout { get; }

    /// <summary>Tells it all is well; throws <see cref="IOException"/> when the device fails.</summary>
    void Feed();
}
