using System.Net;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Services;

/// <summary>
/// What the server learns from the per-peer part of a node's report (issue #18): its paths (shown by the node API),
/// and, when the reporter is a relay, the NAT-mapped endpoint of each peer it has a fresh handshake with — the source
/// address of that peer's WireGuard packets as the relay's kernel/wireguard-go saw them, which is exactly the address
/// other nodes must send to. Only relays are believed: an admin chose them, and any node could otherwise point
/// the others' first candidate at an address of its choice (WireGuard's authentication makes that a denial of service
/// only, but a costly one: every pair would spend its first probe on it).
/// </summary>
public static class NatReports
{
    /// <summary>At most this many peer entries in one report (a larger list is ignored as a whole).</summary>
    public const int MaxPeers = 1024;

    /// <summary>An observation counts when the relay's handshake with the peer is at most this old (WireGuard rejects older sessions).</summary>
    public const long FreshHandshakeSeconds = 180;

    /// <summary>The report's per-peer part when every entry is well-formed, else null (with the reason in <paramref name="error"/>).</summary>
    public static IReadOnlyList<PeerPathReport>? Validate(IReadOnlyList<PeerPathReport>? peers, out string? error)
    {
        error = null;
        if (peers is null)
        {
            return null;
        }
        if (peers.Count > MaxPeers)
        {
            error = $"peers: at most {MaxPeers} entries";
            return null;
        }
        foreach (var p in peers)
        {
            if (p is null || string.IsNullOrEmpty(p.NodeId) || p.NodeId.Length > 64)
            {
                error = "peers: every entry needs a nodeId of 1-64 characters";
                return null;
            }
            if (p.Path is not (PeerPathReport.Direct or PeerPathReport.Relayed or PeerPathReport.Probing))
            {
                error = $"peers[{p.NodeId}].path: must be direct, relay or probing";
                return null;
            }
            if (p.Via is { Length: > 64 } || (p.Path == PeerPathReport.Relayed) != (p.Via is not null))
            {
                error = $"peers[{p.NodeId}].via: the relay's node id, present exactly when the path is relay";
                return null;
            }
            if (p.Endpoint is not null && (p.Endpoint.Length > 64 || !IPEndPoint.TryParse(p.Endpoint, out var ep) || ep.Port == 0))
            {
                error = $"peers[{p.NodeId}].endpoint: must be host:port";
                return null;
            }
            if (p.HandshakeAgeSeconds is < 0)
            {
                error = $"peers[{p.NodeId}].handshakeAgeSeconds: must not be negative";
                return null;
            }
        }
        return peers;
    }

    /// <summary>
    /// Records the mapped endpoints a relay observed, in the caller's write: a peer's endpoint changes when its public
    /// address is new, or when only the port moved and the reporter is the network's first relay (by id). Symmetric
    /// NATs give every relay another port; taking each would flip the peer's candidates, and every pair of it would
    /// start its search again, at each report.
    /// </summary>
    public static int RecordObservations(IStoreSession s, NodeRecord reporter, IReadOnlyList<PeerPathReport> peers)
    {
        if (!reporter.IsActiveRelay)
        {
            return 0;
        }
        string? firstRelay = null;
        var changed = 0;
        foreach (var p in peers)
        {
            // Only a direct path's endpoint is WireGuard's own (the agent leaves it to roaming); a probing one is a guess.
            if (p.Path != PeerPathReport.Direct || p.Endpoint is null || p.HandshakeAgeSeconds is not { } age || age > FreshHandshakeSeconds || p.NodeId == reporter.Id ||
                !IPEndPoint.TryParse(p.Endpoint, out var observed) || !IsPublicCandidate(observed.Address))
            {
                continue;
            }
            var peer = s.FindNode(p.NodeId);
            if (peer is null || peer.Network != reporter.Network)
            {
                continue;
            }
            var text = Endpoints.Format(observed);
            if (peer.MappedEndpoint == text)
            {
                continue;
            }
            if (peer.MappedEndpoint is not null && IPEndPoint.TryParse(peer.MappedEndpoint, out var known) && known.Address.Equals(observed.Address))
            {
                firstRelay ??= s.ListNodes(reporter.Network).Where(n => n.IsActiveRelay).Select(n => n.Id).Order(StringComparer.Ordinal).FirstOrDefault();
                if (firstRelay != reporter.Id)
                {
                    continue;
                }
            }
            s.UpdateNode(peer with { MappedEndpoint = text });
            changed++;
        }
        return changed;
    }

    /// <summary>An address a peer could be reached at from elsewhere: not unspecified, loopback, multicast, broadcast or link-local.</summary>
    public static bool IsPublicCandidate(IPAddress a)
    {
        if (a.IsIPv4MappedToIPv6)
        {
            a = a.MapToIPv4();
        }
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.Equals(IPAddress.Broadcast) ||
            a.IsIPv6Multicast || a.IsIPv6LinkLocal)
        {
            return false;
        }
        var b = a.GetAddressBytes();
        // 224.0.0.0/4 multicast, 169.254.0.0/16 link-local, 0.0.0.0/8 "this network".
        return a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || ((b[0] & 0xF0) != 0xE0 && !(b[0] == 169 && b[1] == 254) && b[0] != 0);
    }
}
