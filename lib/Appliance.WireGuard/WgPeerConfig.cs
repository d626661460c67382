using System.Net;
using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>The desired configuration of one WireGuard peer.</summary>
public sealed record WgPeerConfig(WgKey PublicKey)
{
    public WgKey? PresharedKey { get; init; }

    /// <summary>Null leaves the endpoint to roaming (the peer's last source address).</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>Seconds; 0 disables.</summary>
    public int PersistentKeepalive { get; init; }

    public IReadOnlyList<IPNetwork> AllowedIPs { get; init; } = [];
}
