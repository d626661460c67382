namespace Appliance.WireGuard;

/// <summary>
/// Brings a device to a desired configuration: read, diff, apply. If applying fails part-way (one of several
/// netlink messages refused, or the netlink/UAPI channel broke: every backend reports both as a
/// <see cref="WireGuardException"/>), it re-reads the device and applies the diff back to what it was, then rethrows.
/// Cancellation by the caller is not rolled back.
/// </summary>
public sealed class WireGuardConfigurator
{
    private readonly IWireGuardBackend _backend;

    public WireGuardConfigurator(IWireGuardBackend backend)
    {
        _backend = backend;
    }

    /// <summary>Returns the plan that was applied (empty when nothing changed).</summary>
    public async Task<WgDevicePlan> ApplyAsync(string interfaceName, WgDeviceConfig desired, CancellationToken cancellationToken = default)
    {
        var before = await _backend.GetDeviceAsync(interfaceName, cancellationToken).ConfigureAwait(false);
        var plan = WgReconciler.Diff(before, desired);
        if (plan.IsEmpty)
        {
            return plan;
        }
        WgPlanValidator.Validate(plan);
        try
        {
            await _backend.ApplyAsync(interfaceName, plan, cancellationToken).ConfigureAwait(false);
        }
        catch (WireGuardException) when (!cancellationToken.IsCancellationRequested)
        {
            await RestoreAsync(interfaceName, before, cancellationToken).ConfigureAwait(false);
            throw;
        }
        return plan;
    }

    private async Task RestoreAsync(string interfaceName, WgDevice before, CancellationToken cancellationToken)
    {
        try
        {
            var now = await _backend.GetDeviceAsync(interfaceName, cancellationToken).ConfigureAwait(false);
            var back = WgReconciler.Diff(now, ToConfig(before));
            await _backend.ApplyAsync(interfaceName, back, cancellationToken).ConfigureAwait(false);
        }
        catch (WireGuardException)
        {
            // The original error is what the caller needs; a failed restore leaves the device as the kernel has it.
        }
    }

    /// <summary>The config that reproduces a read-back device.</summary>
    public static WgDeviceConfig ToConfig(WgDevice device) => new(device.PrivateKey)
    {
        ListenPort = device.ListenPort,
        FwMark = device.FwMark,
        Peers = [.. device.Peers.Select(p => new WgPeerConfig(p.PublicKey)
        {
            PresharedKey = p.PresharedKey.IsZero ? null : p.PresharedKey,
            Endpoint = p.Endpoint,
            PersistentKeepalive = p.PersistentKeepalive,
            AllowedIPs = p.AllowedIPs,
        })],
    };
}
