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
