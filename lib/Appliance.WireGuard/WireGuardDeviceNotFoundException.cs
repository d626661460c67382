namespace Appliance.WireGuard;

/// <summary>The named interface does not exist or is not a WireGuard device (ENODEV / missing UAPI socket).</summary>
public sealed class WireGuardDeviceNotFoundException : WireGuardException
{
    public WireGuardDeviceNotFoundException(string interfaceName, Exception? inner = null)
        : base($"WireGuard device '{interfaceName}' not found", inner)
    {
        InterfaceName = interfaceName;
    }

    public string InterfaceName { get; }
}
