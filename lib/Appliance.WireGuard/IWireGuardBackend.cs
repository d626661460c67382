namespace Appliance.WireGuard;

/// <summary>Programs WireGuard devices: the kernel module over generic netlink, or a userspace implementation over UAPI.</summary>
public interface IWireGuardBackend : IDisposable
{
    WireGuardBackendKind Kind { get; }

    /// <summary>Creates the interface if missing (kernel link, or a wireguard-go process); idempotent.</summary>
    Task EnsureInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default);

    Task DeleteInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default);

    /// <summary>Reads the device; throws <see cref="WireGuardDeviceNotFoundException"/> if it does not exist.</summary>
    Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default);

    /// <summary>Applies a plan; an empty plan sends nothing.</summary>
    Task ApplyAsync(string interfaceName, WgDevicePlan plan, CancellationToken cancellationToken = default);
}
