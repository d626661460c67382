using System.Numerics;
using Appliance.Contracts.Mesh;

namespace Appliance.Server.Domain.Policy;

/// <summary>
/// What a network's policy asks of each node at one state of the network: which other nodes are its WireGuard peers
/// (a symmetric relation, one bit per pair) and the filter it enforces. Immutable; made by <see cref="AccessPolicyEvaluator"/>.
/// </summary>
public sealed class PolicyEvaluation
{
    private readonly Dictionary<string, int> _index;
    private readonly string[] _order;
    private readonly ulong[][] _peers;
    private readonly Dictionary<string, MeshFilterDto> _filters;

    internal PolicyEvaluation(string[] order, Dictionary<string, int> index, ulong[][] peers, Dictionary<string, MeshFilterDto> filters)
    {
        (_order, _index, _peers, _filters) = (order, index, peers, filters);
    }

    // The evaluator hands on the previous evaluation's node list when it is the same, so peers compare word by word.
    internal string[] Order => _order;

    /// <summary>The nodes evaluated, by id (ordinal order).</summary>
    public IReadOnlyList<string> Nodes => _order;

    /// <summary>True when the policy makes <paramref name="a"/> and <paramref name="b"/> WireGuard peers (never a node with itself).</summary>
    public bool Connected(string a, string b) =>
        _index.TryGetValue(a, out var i) && _index.TryGetValue(b, out var j) && (_peers[i][j >> 6] & (1UL << (j & 63))) != 0;

    /// <summary>The ids of the node's peers, in ordinal order (none for a node not evaluated).</summary>
    public IEnumerable<string> PeersOf(string id)
    {
        if (!_index.TryGetValue(id, out var i))
        {
            yield break;
        }
        var bits = _peers[i];
        for (var w = 0; w < bits.Length; w++)
        {
            var word = bits[w];
            while (word != 0)
            {
                var b = BitOperations.TrailingZeroCount(word);
                yield return _order[(w << 6) + b];
                word &= word - 1;
            }
        }
    }

    /// <summary>How many peers the node has.</summary>
    public int PeerCount(string id) => _index.TryGetValue(id, out var i) ? _peers[i].Sum(w => BitOperations.PopCount(w)) : 0;

    /// <summary>The node's filter (none for a node not evaluated).</summary>
    public MeshFilterDto? FilterOf(string id) => _filters.GetValueOrDefault(id);

    /// <summary>True when the node has the same peers in both evaluations (cheap when the node list is the same).</summary>
    public static bool SamePeers(PolicyEvaluation a, PolicyEvaluation b, string id)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a._index.TryGetValue(id, out var i) && b._index.TryGetValue(id, out var j) && ReferenceEquals(a._order, b._order))
        {
            return a._peers[i].AsSpan().SequenceEqual(b._peers[j]);
        }
        return a.PeersOf(id).SequenceEqual(b.PeersOf(id), StringComparer.Ordinal);
    }
}
