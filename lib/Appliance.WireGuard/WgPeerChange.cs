using System.Net;
using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>
/// One peer operation of a plan: the fields of a WGDEVICE_A_PEERS entry (or a UAPI <c>public_key=</c> block).
/// Null fields are left untouched on the device.
/// </summary>
public sealed record WgPeerChange(WgKey PublicKey)
{
    /// <summary><c>wg set ... peer K remove</c></summary>
    public bool Remove { get; init; }

    /// <summary>Only change an existing peer; never create it (WGPEER_F_UPDATE_ONLY).</summary>
    public bool UpdateOnly { get; init; }

    /// <summary>Set the preshared key; the zero key clears it.</summary>
    public WgKey? PresharedKey { get; init; }

    public IPEndPoint? Endpoint { get; init; }

    public int? PersistentKeepalive { get; init; }

    /// <summary>Replace the peer's allowed IPs with <see cref="AllowedIPs"/> instead of adding to them.</summary>
    public bool ReplaceAllowedIPs { get; init; }

    public IReadOnlyList<IPNetwork> AllowedIPs { get; init; } = [];
}
