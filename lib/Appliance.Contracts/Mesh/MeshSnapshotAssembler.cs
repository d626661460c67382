using System.Security.Cryptography;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// Collects the parts of a snapshot sent in several messages (<see cref="MeshUpdate.Parts"/>) into one snapshot.
/// Parts of one version are kept until all have arrived; a part of another version starts over (pure, no I/O).
/// Part 0 is the node's own and lists the digest of every other part (<see cref="MeshUpdate.PartDigests"/>); the
/// others are shared by the node's network (<see cref="MeshUpdate.IsSharedSnapshotPart"/>) and must be exactly those.
/// </summary>
public sealed class MeshSnapshotAssembler
{
    /// <summary>More parts than this is not a snapshot this node will buffer (1000 peers a part: 10 million peers).</summary>
    public const int MaxParts = 10_000;

    private (MeshUpdate Update, string Digest)?[] _parts = [];
    private long _version = -1;
    private int _have;

    /// <summary>The digest part 0 lists for a shared part: SHA-256 of its signed message, base64.</summary>
    public static string Digest(ReadOnlySpan<byte> signedMessage) => Convert.ToBase64String(SHA256.HashData(signedMessage));

    /// <summary>
    /// Adds one part, <paramref name="signedMessage"/> being the signed message it came in. True with the whole
    /// snapshot once every part of its version is here; false with <paramref name="reason"/> while parts are missing
    /// or when the part, or the set of parts, is malformed (<paramref name="malformed"/>).
    /// </summary>
    public bool TryAdd(MeshUpdate part, ReadOnlySpan<byte> signedMessage, out MeshUpdate? whole, out bool malformed, out string reason)
    {
        whole = null;
        malformed = false;
        if (!part.IsSnapshot || part.Parts is not { } count || part.Part is not { } index || count is < 2 or > MaxParts || index < 0 || index >= count)
        {
            malformed = true;
            reason = $"a snapshot part {part.Part} of {part.Parts} is not a valid part";
            return false;
        }
        if (_version != part.ToVersion || _parts.Length != count)
        {
            _parts = new (MeshUpdate, string)?[count];
            _version = part.ToVersion;
            _have = 0;
        }
        if (_parts[index] is null)
        {
            _have++;
        }
        _parts[index] = (part, index == 0 ? string.Empty : Digest(signedMessage));
        if (_have < count)
        {
            reason = $"snapshot v{part.ToVersion} part {index + 1} of {count}";
            return false;
        }
        var parts = _parts;
        _parts = [];
        _version = -1;
        _have = 0;
        var first = parts[0]!.Value.Update;
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
            PartDigests = null,
            UpsertPeers = [.. parts.Skip(1).SelectMany(p => p!.Value.Update.UpsertPeers).Where(p => p.NodeId != first.NodeId)],
        };
        reason = string.Empty;
        return true;
    }

    // Part 0 is the node's own: it names the node, its network and the digest of every other part. Each other part
    // must be a part shared by that network with exactly the listed digest, so no authentic part from elsewhere (a
    // deleted network of the same name, a database restored to older versions) can be mixed in.
    private static string? Mismatch(MeshUpdate first, (MeshUpdate Update, string Digest)?[] parts)
    {
        if (first.IsSharedSnapshotPart || first.Interface is null)
        {
            return "part 0 of a snapshot must be the node's own, with its interface";
        }
        if (first.PartDigests is not { } digests || digests.Count != parts.Length - 1)
        {
            return $"part 0 of a snapshot in {parts.Length} parts must list the digests of the other {parts.Length - 1}";
        }
        for (var i = 1; i < parts.Length; i++)
        {
            var (part, digest) = parts[i]!.Value;
            if (!part.IsSharedSnapshotPart || part.Network != first.Interface.Network)
            {
                return $"snapshot part {i} is for {(part.IsSharedSnapshotPart ? "network " + part.Network : "node " + part.NodeId)}, not the network of {first.NodeId} ({first.Interface.Network})";
            }
            if (!string.Equals(digest, digests[i - 1], StringComparison.Ordinal))
            {
                return $"snapshot part {i} is not the part this node's own part 0 lists";
            }
        }
        return null;
    }
}
