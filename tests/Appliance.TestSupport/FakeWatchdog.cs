using Appliance.Hardware.Watchdog;

namespace Appliance.TestSupport;

/// <summary>A watchdog that counts its feeds.</summary>
public sealed class FakeWatchdog(TimeSpan timeout) : IWatchdog
{
    public string Description => "fake watchdog";

    public TimeSpan Timeout => timeout;

    public int Feeds { get; private set; }

    public bool Disposed { get; private set; }

    public void Feed() => Feeds++;

    public void Dispose() => Disposed = true;
}
