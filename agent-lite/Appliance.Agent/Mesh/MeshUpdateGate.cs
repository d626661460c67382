using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;

namespace Appliance.Agent.Mesh;

/// <summary>The verdict on one pushed message.</summary>
public enum MeshUpdateOutcome
{
    Applied,
    Unchanged,
    Rejected,
    NeedsSnapshot,
    /// <summary>An announcement signed by the key the gate held named a new key; the gate now holds that one.</summary>
    SigningKeyChanged,
    /// <summary>
    /// A network delta, authentic and of this node's network, that is not for this node: it names this node among the
    /// members it does not cover (they get their own update for that version), or the node holds no state yet to
    /// apply it to (its snapshot is on the way). Nothing is applied and nothing is wrong: every member reads the
    /// network's shared topic, so this is what the members a step treats apart see.
    /// </summary>
    Skipped,
}

/// <summary>
/// Decides what an incoming message does to the node's desired state (pure apart from the signature check):
/// unsigned or badly signed → rejected; for another node, or a network delta or shared snapshot part for another
/// network, a network delta that removes this node → rejected; a network delta of this network that names this node
/// in its Except (it gets its own update for that version), or that arrives before the node holds any state → skipped; without a lineage (network epoch and
/// server id) → rejected; a delta of another lineage than ours (a network deleted and created again, a restored or
/// another database) → rejected, while a snapshot of another lineage replaces ours whatever its version; within our
/// lineage, older than what we have (replay) → rejected; a delta that does not start at our version → we need a
/// snapshot; a part of a snapshot sent in several messages → kept until all parts are here; otherwise the new state.
/// A new state whose access-policy filter does not validate keeps the previous filter (<see cref="MeshFilterGuard"/>).
/// A signing-key announcement verified with the key held makes its new key the one held
/// (<see cref="MeshUpdateOutcome.SigningKeyChanged"/>): from then on only that key's signatures count.
/// </summary>
public sealed class MeshUpdateGate(byte[] serverSigningKey, string nodeId)
{
    // Each part is checked like any update (signature, node, version) before it is kept.
    private readonly MeshSnapshotAssembler _snapshotParts = new();

    public long Rejected { get; private set; }

    /// <summary>The server's Ed25519 public key the gate verifies with: the one learnt at join, or the last announced.</summary>
    public byte[] SigningKey { get; private set; } = serverSigningKey;

    public MeshUpdateOutcome Evaluate(ReadOnlySpan<byte> wire, NodeConfigDto? current, out NodeConfigDto? next, out string reason)
    {
        next = null;
        if (!SignedEnvelope.TryOpen(wire, SigningKey, out var payload, out reason))
        {
            Rejected++;
            return MeshUpdateOutcome.Rejected;
        }
        MeshUpdate? update;
        try
        {
            update = JsonSerializer.Deserialize(payload, DeviceJsonContext.Default.MeshUpdate);
        }
        catch (JsonException e)
        {
            Rejected++;
            reason = "signed but not a mesh update: " + e.Message;
            return MeshUpdateOutcome.Rejected;
        }
        if (update is { IsSigningKeyAnnouncement: true })
        {
            if (Adopt(update, out reason))
            {
                return MeshUpdateOutcome.SigningKeyChanged;
            }
            Rejected++;
            return MeshUpdateOutcome.Rejected;
        }
        if (update is null || (update.IsNetworkDelta || update.IsSharedSnapshotPart ? update.NodeId != MeshUpdate.AnyMember : update.NodeId != nodeId))
        {
            Rejected++;
            reason = $"an update for another node ({update?.NodeId})";
            return MeshUpdateOutcome.Rejected;
        }
        if ((update.IsNetworkDelta ? ForeignNetworkDelta(update, current) : update.IsSharedSnapshotPart ? ForeignSharedPart(update, current) : null) is { } foreign)
        {
            Rejected++;
            reason = foreign;
            return MeshUpdateOutcome.Rejected;
        }
        if (update.IsNetworkDelta && (current is null || update.Except.Contains(nodeId, StringComparer.Ordinal)))
        {
            // Every member reads the shared topic: the members a step treats apart see the shared message too.
            reason = current is null
                ? "a network delta before this node holds any state (its snapshot is on the way)"
                : $"a network delta v{update.FromVersion}→v{update.ToVersion} this node is excluded from (it is sent its own update for that version)";
            return MeshUpdateOutcome.Skipped;
        }
        if (string.IsNullOrEmpty(update.Epoch) || string.IsNullOrEmpty(update.ServerId))
        {
            Rejected++;
            reason = "an update without a network epoch and server id (from an older server)";
            return MeshUpdateOutcome.Rejected;
        }
        // Versions count within one lineage only: a snapshot of a new lineage replaces the state even when its
        // number is lower; a delta of another lineage has nothing here to apply to.
        var newLineage = current is not null && !current.SameLineage(update);
        if (newLineage && !update.IsSnapshot)
        {
            Rejected++;
            reason = $"a {update.Kind} of another lineage (epoch {update.Epoch} of server {update.ServerId}; this node follows epoch {current!.Epoch ?? "-"} of server {current.ServerId ?? "-"})";
            return MeshUpdateOutcome.Rejected;
        }
        if (!newLineage && current is not null && update.ToVersion < current.Version)
        {
            Rejected++;
            reason = $"replayed or stale: version {update.ToVersion} is older than {current.Version}";
            return MeshUpdateOutcome.Rejected;
        }
        if (!newLineage && current is not null && update.ToVersion == current.Version)
        {
            reason = $"already at version {current.Version}";
            return MeshUpdateOutcome.Unchanged;
        }
        if (update.IsSnapshot && update.Parts is not null)
        {
            if (!_snapshotParts.TryAdd(update, wire, out var whole, out var malformed, out reason))
            {
                if (malformed)
                {
                    Rejected++;
                    return MeshUpdateOutcome.Rejected;
                }
                return MeshUpdateOutcome.Unchanged; // waiting for the other parts
            }
            update = whole!;
        }
        try
        {
            next = MeshDelta.Apply(current, update);
        }
        catch (MeshVersionMismatchException e)
        {
            reason = e.Message;
            return MeshUpdateOutcome.NeedsSnapshot;
        }
        reason = update.IsSnapshot
            ? $"snapshot v{update.ToVersion}{(newLineage ? $" of a new lineage (epoch {update.Epoch})" : string.Empty)}"
            : $"{update.Kind} v{update.FromVersion}→v{update.ToVersion}";
        // A filter that does not validate is refused whole; the rest of the update still applies.
        next = MeshFilterGuard.Settle(current, next, out var refusal);
        if (refusal is not null)
        {
            reason += "; " + refusal;
        }
        return MeshUpdateOutcome.Applied;
    }

    /// <summary>
    /// Follows one announcement of the server's chain (fetched over pinned HTTPS): true when it is signed by the key
    /// held and names a new one, which is then held. An announcement of an older key (earlier in the chain) is simply
    /// false and not counted as rejected.
    /// </summary>
    public bool TryFollowAnnouncement(ReadOnlySpan<byte> wire, out string reason)
    {
        if (!SignedEnvelope.TryOpen(wire, SigningKey, out var payload, out reason))
        {
            return false;
        }
        try
        {
            return JsonSerializer.Deserialize(payload, DeviceJsonContext.Default.MeshUpdate) is { IsSigningKeyAnnouncement: true } update && Adopt(update, out reason);
        }
        catch (JsonException e)
        {
            reason = "signed but not an announcement: " + e.Message;
            return false;
        }
    }

    private bool Adopt(MeshUpdate announcement, out string reason)
    {
        byte[]? next = null;
        try
        {
            next = announcement.NextSigningKey is { } text ? Convert.FromBase64String(text) : null;
        }
        catch (FormatException)
        {
        }
        if (announcement.NodeId != MeshUpdate.AnyMember || next is not { Length: Ed25519.PublicKeySize })
        {
            reason = "a signing-key announcement without a 32-byte Ed25519 key for every member";
            return false;
        }
        if (next.AsSpan().SequenceEqual(SigningKey))
        {
            reason = "a signing-key announcement of the key already held";
            return false;
        }
        SigningKey = next;
        reason = $"the server's signing key is now {announcement.NextSigningKey}";
        return true;
    }

    // A shared snapshot part is signed once for all members of one network: it is only ever one of several parts,
    // and the assembler checks it against the network named by this node's own part 0.
    private static string? ForeignSharedPart(MeshUpdate update, NodeConfigDto? current)
    {
        if (update.Parts is null || update.Part is null or 0)
        {
            return "a snapshot for any member must be a part after the node's own part 0";
        }
        return current is not null && update.Network != current.Interface.Network
            ? $"a shared snapshot part for another network ({update.Network}, this node is in {current.Interface.Network})"
            : null;
    }

    // A network delta is signed once for all members of one network: it binds to this node through the network
    // name (and its version and lineage, checked like any update's); the server lists in Except the members it sends
    // their own delta for that step instead (Evaluate skips it for them).
    private string? ForeignNetworkDelta(MeshUpdate update, NodeConfigDto? current)
    {
        if (current is not null && update.Network != current.Interface.Network)
        {
            return $"a network delta for another network ({update.Network}, this node is in {current.Interface.Network})";
        }
        return update.RemovePeers.Contains(nodeId, StringComparer.Ordinal) ? "a network delta that removes this node" : null;
    }
}
