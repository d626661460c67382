using Appliance.Contracts.Api;

namespace Appliance.Contracts.Mesh;

/// <summary>
/// The peer part of one step of a network: the peer records added or changed and the node ids removed, each in the
/// order a node keeps its peers (<see cref="MeshDelta.PeerOrder"/>). The same for every member; each member's update
/// leaves out its own record.
/// </summary>
public sealed record MeshPeerChanges(IReadOnlyList<PeerDto> Upserts, IReadOnlyList<string> Removes)
{
    public static readonly MeshPeerChanges None = new([], []);
}
