namespace Appliance.Contracts.Mesh;

/// <summary>
/// Collects the parts of a snapshot sent in several messages (<see cref="MeshUpdate.Parts"/>) into one snapshot.
/// Parts of one version are kept until all have arrived; a part of another version starts over (pure, no I/O).
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
        var first = _parts[0]!;
        whole = first with
        {
            Part = null,
            Parts = null,
            UpsertPeers = [.. _parts.SelectMany(p => p!.UpsertPeers)],
        };
        _parts = [];
        _version = -1;
        _have = 0;
        reason = string.Empty;
        return true;
    }
}
