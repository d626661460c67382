using System.Net;

namespace Appliance.Agent.Nat;

/// <summary>What a path decision asks of WireGuard for one peer node.</summary>
public enum PeerPathKind
{
    /// <summary>Trying the peer's candidates in order (its endpoint is the one tried now).</summary>
    Probing,
    /// <summary>A handshake happened: the endpoint is WireGuard's (roaming keeps it), nothing is programmed.</summary>
    Direct,
    /// <summary>No handshake in time: the peer's addresses ride on a relay's peer; the candidate stays programmed, so a late handshake still wins.</summary>
    Relayed,
}

/// <summary>
/// The path to one peer node: <see cref="Endpoint"/> is what to program (null: leave WireGuard's own),
/// <see cref="Via"/> the relay's node id when <see cref="Kind"/> is <see cref="PeerPathKind.Relayed"/>.
/// </summary>
public sealed record PeerPath(PeerPathKind Kind, IPEndPoint? Endpoint, string? Via = null);
