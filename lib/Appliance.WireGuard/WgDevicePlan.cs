using Appliance.Contracts;

namespace Appliance.WireGuard;

/// <summary>The change to make to a device, computed by <see cref="WgReconciler"/> or built from a full config.</summary>
public sealed record WgDevicePlan
{
    public static WgDevicePlan Empty { get; } = new();

    public WgKey? PrivateKey { get; init; }

    public int? ListenPort { get; init; }

    public uint? FwMark { get; init; }

    /// <summary>Remove every peer not listed in <see cref="Peers"/> (WGDEVICE_F_REPLACE_PEERS / <c>replace_peers=true</c>).</summary>
    public bool ReplacePeers { get; init; }

    public IReadOnlyList<WgPeerChange> Peers { get; init; } = [];

    public bool IsEmpty => PrivateKey is null && ListenPort is null && FwMark is null && !ReplacePeers && Peers.Count == 0;

    /// <summary>The plan <c>wg setconf</c> would apply: set everything and replace all peers.</summary>
    public static WgDevicePlan FromConfig(WgDeviceConfig config)
    {
        var peers = new WgPeerChange[config.Peers.Count];
        for (int i = 0; i < peers.Length; i++)
        {
            var p = config.Peers[i];
            peers[i] = new WgPeerChange(p.PublicKey)
            {
                // All peers are new after replace-peers, so an absent key needs no explicit clearing (as wg setconf).
                PresharedKey = p.PresharedKey,
                Endpoint = p.Endpoint,
                PersistentKeepalive = p.PersistentKeepalive,
                ReplaceAllowedIPs = true,
                AllowedIPs = p.AllowedIPs,
            };
        }
        return new WgDevicePlan
        {
            PrivateKey = config.PrivateKey,
            ListenPort = config.ListenPort,
            FwMark = config.FwMark,
            ReplacePeers = true,
            Peers = peers,
        };
    }
}
