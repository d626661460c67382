namespace Appliance.WireGuard.Uapi;

/// <summary>Starts and stops the userspace WireGuard process behind an interface.</summary>
public interface IUserspaceLauncher : IDisposable
{
    /// <summary>Starts the implementation and waits until its UAPI socket accepts connections.</summary>
    Task StartAsync(string interfaceName, CancellationToken cancellationToken = default);

    /// <summary>Stops the process started for <paramref name="interfaceName"/>; false if this launcher did not start one.</summary>
    Task<bool> StopAsync(string interfaceName, CancellationToken cancellationToken = default);
}
