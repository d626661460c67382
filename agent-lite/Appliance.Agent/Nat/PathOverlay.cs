using System.Net;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Nat;

/// <summary>
/// What the chosen paths (<see cref="PeerPathPlanner"/>) change in one peer's WireGuard config (pure, issue #18):
/// the endpoint to program (null: WireGuard's own, after a handshake), the keepalive (short between relays and
/// everyone, never off while a peer is being probed), and the allowed IPs: a relayed peer's addresses ride on its
/// relay's peer, so the relay's allowed IPs carry them and the peer's own carry none. Without paths (before the first
/// step) a peer is configured as the server sent it.
/// </summary>
public sealed class PathOverlay
{
    /// <summary>The keepalive used while a peer is probed or relayed when the network has keepalives off: punching needs packets.</summary>
    public const int ProbeKeepalive = 25;

    private readonly NodeConfigDto _config;
    private readonly bool _selfRelay;
    private readonly IReadOnlyDictionary<string, PeerPath>? _paths;
    private readonly Dictionary<string, List<string>> _carried = new(StringComparer.Ordinal);

    public PathOverlay(NodeConfigDto config, IReadOnlyDictionary<string, PeerPath>? paths)
    {
        _config = config;
        _selfRelay = config.Interface.Relay;
        _paths = paths;
        if (paths is null)
        {
            return;
        }
        foreach (var p in config.Peers)
        {
            if (paths.TryGetValue(p.NodeId, out var path) && path is { Kind: PeerPathKind.Relayed, Via: { } via })
            {
                if (!_carried.TryGetValue(via, out var list))
                {
                    _carried[via] = list = [];
                }
                list.AddRange(p.AllowedIps);
            }
        }
    }

    /// <summary>The endpoint to program for <paramref name="peer"/>; null leaves WireGuard's.</summary>
    public IPEndPoint? Endpoint(PeerDto peer)
    {
        if (_paths is null || !_paths.TryGetValue(peer.NodeId, out var path))
        {
            return peer.Endpoint is not null && IPEndPoint.TryParse(peer.Endpoint, out var ep) && ep.Port != 0 ? ep : null;
        }
        return path.Kind == PeerPathKind.Direct ? null : path.Endpoint;
    }

    /// <summary>
    /// The keepalive to program for <paramref name="peer"/>. Once paths are planned, a peer the planner has not stepped
    /// yet (new in this update) or holds quiet gets none: switching a keepalive on sends a handshake initiation, and
    /// the first one of a new pair must come from one side only (<see cref="PeerPathPlanner"/>); a pair that punches
    /// through NATs sends from both sides at once, as the update arrives.
    /// </summary>
    public int Keepalive(PeerDto peer)
    {
        if (_paths is not null && PeerPathPlanner.HoldsFirstInitiation(_config, peer)
            && (!_paths.TryGetValue(peer.NodeId, out var planned) || planned.Quiet))
        {
            return 0;
        }
        if (_selfRelay || peer.Relay)
        {
            return PeerPathPlanner.RelayKeepalive;
        }
        var probing = _paths is not null && _paths.TryGetValue(peer.NodeId, out var path) && path.Kind != PeerPathKind.Direct;
        return probing && peer.PersistentKeepalive == 0 ? ProbeKeepalive : peer.PersistentKeepalive;
    }

    /// <summary>
    /// Whether <paramref name="peer"/>'s entry carries the default routes for this node's internet gateway
    /// <paramref name="gateway"/>: the gateway's own entry, or, while the gateway is relayed, its relay's entry (the
    /// default routes follow the gateway's addresses, which ride on the relay's peer).
    /// </summary>
    public bool CarriesInternet(PeerDto peer, string? gateway)
    {
        if (gateway is null)
        {
            return false;
        }
        if (_paths is not null && _paths.TryGetValue(gateway, out var path) && path is { Kind: PeerPathKind.Relayed, Via: { } via })
        {
            return peer.NodeId == via;
        }
        return peer.NodeId == gateway;
    }

    /// <summary>The peer's allowed IPs: none when it is relayed, its own plus those of the peers it relays for this node.</summary>
    public IEnumerable<string> AllowedIps(PeerDto peer)
    {
        if (_paths is not null && _paths.TryGetValue(peer.NodeId, out var path) && path.Kind == PeerPathKind.Relayed)
        {
            return [];
        }
        return _carried.TryGetValue(peer.NodeId, out var carried) ? [.. peer.AllowedIps, .. carried] : peer.AllowedIps;
    }
}
