using System.Collections.Concurrent;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;

namespace Appliance.Bench.Mesh;

/// <summary>
/// Peer records shared by all simulated agents in this process. A real node keeps its own N peers; N simulated
/// nodes in one process would keep N x N (25 million records at N=5000), so each agent's config points at one shared
/// record per distinct peer instead. Only the bench's memory changes; every agent still parses and applies each update.
/// </summary>
public static class PeerPool
{
    private static readonly ConcurrentDictionary<string, PeerDto> Peers = new(StringComparer.Ordinal);

    public static NodeConfigDto Intern(NodeConfigDto config)
    {
        var peers = new List<PeerDto>(config.Peers.Count);
        foreach (var p in config.Peers)
        {
            var shared = Peers.AddOrUpdate(p.NodeId, p, (_, old) => MeshDelta.SamePeer(old, p) ? old : p);
            peers.Add(MeshDelta.SamePeer(shared, p) ? shared : p);
        }
        return config with { Peers = peers };
    }

    /// <summary>True when the config has a peer of this name (peers are kept sorted by name: a binary search).</summary>
    public static bool HasPeerNamed(NodeConfigDto config, string name)
    {
        var peers = config.Peers;
        int lo = 0, hi = peers.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var c = string.CompareOrdinal(peers[mid].Name, name);
            if (c == 0)
            {
                return true;
            }
            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return false;
    }
}
