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
}

/// <summary>
/// Decides what an incoming message does to the node's desired state (pure apart from the signature check):
/// unsigned or badly signed → rejected; for another node, or a network delta or shared snapshot part for another
/// network, a network delta that excludes this node or removes it → rejected; older than what we have (replay) → rejected;
/// a delta that does not start at our version → we need a snapshot; a part of a snapshot sent in several messages →
/// kept until all parts are here; otherwise the new state.
/// </summary>
public sealed class MeshUpdateGate(byte[] serverSigningKey, string nodeId)
{
    // Each part is checked like any update (signature, node, version) before it is kept.
    private readonly MeshSnapshotAssembler _snapshotParts = new();

    public long Rejected { get; private set; }

    public MeshUpdateOutcome Evaluate(ReadOnlySpan<byte> wire, NodeConfigDto? current, out NodeConfigDto? next, out string reason)
    {
        next = null;
        if (!SignedEnvelope.TryOpen(wire, serverSigningKey, out var payload, out reason))
        {
            Rejected++;
            return MeshUpdateOutcome.Rejected;
        }
        MeshUpdate? update;
        try
        {
            update = JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate);
        }
        catch (JsonException e)
        {
            Rejected++;
            reason = "signed but not a mesh update: " + e.Message;
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
        if (current is not null && update.ToVersion < current.Version)
        {
            Rejected++;
            reason = $"replayed or stale: version {update.ToVersion} is older than {current.Version}";
            return MeshUpdateOutcome.Rejected;
        }
        if (current is not null && update.ToVersion == current.Version)
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
        reason = update.IsSnapshot ? $"snapshot v{update.ToVersion}" : $"{update.Kind} v{update.FromVersion}→v{update.ToVersion}";
        return MeshUpdateOutcome.Applied;
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
    // name, and the server lists in Except the members it sent their own delta for that step instead.
    private string? ForeignNetworkDelta(MeshUpdate update, NodeConfigDto? current)
    {
        if (current is not null && update.Network != current.Interface.Network)
        {
            return $"a network delta for another network ({update.Network}, this node is in {current.Interface.Network})";
        }
        if (update.Except.Contains(nodeId, StringComparer.Ordinal))
        {
            return "a network delta this node is excluded from (it was sent its own delta for that version)";
        }
        return update.RemovePeers.Contains(nodeId, StringComparer.Ordinal) ? "a network delta that removes this node" : null;
    }
}
