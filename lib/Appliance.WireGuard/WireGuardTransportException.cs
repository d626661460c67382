namespace Appliance.WireGuard;

/// <summary>
/// The channel to the implementation failed mid-operation (netlink receive timeout, UAPI socket reset or timeout):
/// whether the request took effect, wholly or in part, is unknown, so the caller must re-read the device.
/// </summary>
public sealed class WireGuardTransportException : WireGuardException
{
    public WireGuardTransportException(string interfaceName, string operation, Exception innerException)
        : base($"WireGuard {operation} on '{interfaceName}' failed in transport: {innerException.Message}", innerException)
    {
        InterfaceName = interfaceName;
        Operation = operation;
    }

    public WireGuardTransportException()
    {
        InterfaceName = "";
        Operation = "";
    }

    public WireGuardTransportException(string message)
        : base(message)
    {
        InterfaceName = "";
        Operation = "";
    }

    public WireGuardTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
        InterfaceName = "";
        Operation = "";
    }

    public string InterfaceName { get; }

    public string Operation { get; }
}
