namespace Appliance.Contracts.Mesh;

/// <summary>
/// Collects the parts of a snapshot sent in several messages (<see cref="MeshUpdate.Parts"/>) into one snapshot.
/// Parts of one version are kept until all have arrived; a part of another version starts over (pure, no I/O).
/// Part 0 is the node's own; shared parts (<see cref="MeshUpdate.IsSharedSnapshotPart"/>) must be of part 0's network.
/// </summary>
public sealed class MeshSnapshotAssembler
{
    /// <summary>More parts than this is not a snapshot this node will buffer (1000 peers a part: 10 million peers).</summary>
    public const int MaxParts = 10_000;

    private MeshUpdate?[] _parts = [];
    private long _version = -1;
    private int _have;

    /// <summary>
    /// Adds one part. True with the whole snapshot once every part of its version is here; false with
    /// <paramref name="reason"/> while parts are missing or when the part is malformed (<paramref name="malformed"/>).
    /// </summary>
    public bool TryAdd(MeshUpdate part, out MeshUpdate? whole, out bool malformed, out string reason)
    {
        whole = null;
        malformed = false;
        if (!part.IsSnapshot || part.Parts is not { } count || part.Part is not { } index || count is < 1 or > MaxParts || index < 0 || index >= count)
        {
            malformed = true;
            reason = $"a snapshot part {part.Part} of {part.Parts} is not a valid part";
            return false;
        }
        if (_version != part.ToVersion || _parts.Length != count)
        {
            _parts = new MeshUpdate?[count];
            _version = part.ToVersion;
            _have = 0;
        }
        if (_parts[index] is null)
        {
            _have++;
        }
        _parts[index] = part;
        if (_have < count)
        {
            reason = $"snapshot v{part.ToVersion} part {index + 1} of {count}";
            return false;
        }
        var parts = _parts;
        _parts = [];
        _version = -1;
        _have = 0;
        var first = parts[0]!;
        if (Mismatch(first, parts) is { } wrong)
        {
            malformed = true;
            reason = wrong;
            return false;
        }
        // Shared parts list every member, the receiver included: a node is never its own peer.
        whole = first with
        {
            Part = null,
            Parts = null,
            UpsertPeers = [.. parts.SelectMany(p => p!.UpsertPeers).Where(p => p.NodeId != first.NodeId)],
        };
        reason = string.Empty;
        return true;
    }

    // Part 0 is the node's own: it names the node and its network. Every other part is the node's own as well or
    // shared by that network; a shared part of another network is not this node's state.
    private static string? Mismatch(MeshUpdate first, MeshUpdate?[] parts)
    {
        if (first.IsSharedSnapshotPart || first.Interface is null)
        {
            return "part 0 of a snapshot must be the node's own, with its interface";
        }
        foreach (var part in parts.Skip(1))
        {
            if (part!.IsSharedSnapshotPart ? part.Network != first.Interface.Network : part.NodeId != first.NodeId)
            {
                return $"snapshot part {part.Part} is for {(part.IsSharedSnapshotPart ? "network " + part.Network : "node " + part.NodeId)}, not {first.NodeId} in {first.Interface.Network}";
            }
        }
        return null;
    }
}
