using Appliance.Contracts;
using Appliance.WireGuard;

namespace Appliance.TestSupport;

/// <summary>In-memory WireGuard devices that apply plans the way the kernel does (peers by key, allowed IPs replaced or added).</summary>
public sealed class FakeWireGuardBackend : IWireGuardBackend
{
    private readonly Dictionary<string, WgDevice> _devices = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public WireGuardBackendKind Kind => WireGuardBackendKind.Userspace;

    /// <summary>Plans applied so far (non-empty ones).</summary>
    public int AppliedPlans { get; private set; }

    public WgDevice? TryGet(string name)
    {
        lock (_lock)
        {
            return _devices.GetValueOrDefault(name);
        }
    }

    public Task EnsureInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _devices.TryAdd(interfaceName, new WgDevice(interfaceName));
        }
        return Task.CompletedTask;
    }

    public Task DeleteInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_devices.Remove(interfaceName))
            {
                throw new WireGuardDeviceNotFoundException(interfaceName);
            }
        }
        return Task.CompletedTask;
    }

    public Task<WgDevice> GetDeviceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return _devices.TryGetValue(interfaceName, out var d) ? Task.FromResult(d) : throw new WireGuardDeviceNotFoundException(interfaceName);
        }
    }

    public Task ApplyAsync(string interfaceName, WgDevicePlan plan, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var d = _devices.TryGetValue(interfaceName, out var found) ? found : throw new WireGuardDeviceNotFoundException(interfaceName);
            var peers = plan.ReplacePeers ? [] : d.Peers.ToList();
            foreach (var change in plan.Peers)
            {
                var old = peers.FirstOrDefault(p => p.PublicKey == change.PublicKey);
                peers.RemoveAll(p => p.PublicKey == change.PublicKey);
                if (change.Remove)
                {
                    continue;
                }
                peers.Add(new WgPeer(change.PublicKey)
                {
                    Endpoint = change.Endpoint ?? old?.Endpoint,
                    PersistentKeepalive = change.PersistentKeepalive ?? old?.PersistentKeepalive ?? 0,
                    AllowedIPs = change.ReplaceAllowedIPs || old is null ? change.AllowedIPs : [.. old.AllowedIPs, .. change.AllowedIPs],
                });
            }
            _devices[interfaceName] = d with
            {
                PrivateKey = plan.PrivateKey ?? d.PrivateKey,
                ListenPort = plan.ListenPort ?? d.ListenPort,
                Peers = peers,
            };
            if (!plan.IsEmpty)
            {
                AppliedPlans++;
            }
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
    }
}
