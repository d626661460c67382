using System.Net;

namespace Appliance.Agent.Nat;

/// <summary>
/// The path to one peer node: <see cref="Endpoint"/> is what to program (null: leave WireGuard's own),
/// <see cref="Via"/> the relay's node id when <see cref="Kind"/> is <see cref="PeerPathKind.Relayed"/>;
/// <see cref="Quiet"/>: a new pair's keepalive is held off on this side (see <see cref="PeerPathPlanner"/>).
/// </summary>
public sealed record PeerPath(PeerPathKind Kind, IPEndPoint? Endpoint, string? Via = null)
{
    public bool Quiet { get; init; }
}
