namespace Appliance.WireGuard;

/// <summary>Which WireGuard implementation a backend drives.</summary>
public enum WireGuardBackendKind
{
    /// <summary>Kernel if the <c>wireguard</c> generic netlink family resolves, else userspace.</summary>
    Auto,
    Kernel,
    Userspace,
}
