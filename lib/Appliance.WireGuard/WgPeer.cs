using System.Net;
using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>A peer as read back from a device, with its runtime counters.</summary>
public sealed record WgPeer(WgKey PublicKey)
{
    /// <summary>All-zero when unset.</summary>
    public WgKey PresharedKey { get; init; }

    public IPEndPoint? Endpoint { get; init; }

    public int PersistentKeepalive { get; init; }

    /// <summary>Null when no handshake happened yet.</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    public ulong RxBytes { get; init; }

    public ulong TxBytes { get; init; }

    public IReadOnlyList<IPNetwork> AllowedIPs { get; init; } = [];
}
