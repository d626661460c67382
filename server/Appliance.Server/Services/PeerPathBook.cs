using System.Collections.Concurrent;
using Appliance.Contracts.Mesh;

namespace Appliance.Server.Services;

/// <summary>
/// The path each node last reported per peer (direct, relay, probing; issue #18), kept in memory for the node API:
/// live status that changes every few seconds does not belong in the store (it would move no member's desired state).
/// One list per node, each bounded by <see cref="NatReports.MaxPeers"/>; a deleted node's list goes with it.
/// </summary>
public sealed class PeerPathBook
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<PeerPathReport>> _paths = new(StringComparer.Ordinal);

    public void Set(string nodeId, IReadOnlyList<PeerPathReport> paths) => _paths[nodeId] = paths;

    public IReadOnlyList<PeerPathReport>? Get(string nodeId) => _paths.GetValueOrDefault(nodeId);

    public void Remove(string nodeId) => _paths.TryRemove(nodeId, out _);
}
