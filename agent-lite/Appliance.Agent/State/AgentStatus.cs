namespace Appliance.Agent.State;

/// <summary>What `appliance-agent status --json` prints: the state without its secrets, plus the last pulled config.</summary>
public sealed record AgentStatus(
    bool Joined,
    string? NodeId,
    string? Name,
    string? Network,
    string? Server,
    string? Interface,
    string? PublicKey,
    IReadOnlyList<string> Addresses,
    int? ListenPort,
    DateTimeOffset? JoinedAt,
    long? ConfigVersion,
    int? PeerCount,
    bool InterfaceUp = false,
    IReadOnlyList<PeerStatus>? Peers = null,
    PolicyStatus? Policy = null);

/// <summary>The access-policy filter the node enforces (issue #19); <see cref="Active"/> false: no policy, nothing filtered.</summary>
public sealed record PolicyStatus(bool Active, int InboundRules, int ForwardRules);

/// <summary>
/// One WireGuard peer as the device reports it; <see cref="HandshakeAgeSeconds"/> null = never. For a peer node,
/// <see cref="Path"/> is direct, relay (through <see cref="Via"/>, the relay's name) or probing, as the daemon chose
/// it; a relayed peer's endpoint and handshake age are its relay's (the path in use).
/// </summary>
public sealed record PeerStatus(string Name, string PublicKey, string? Endpoint, long? HandshakeAgeSeconds, ulong RxBytes, ulong TxBytes,
    string? Path = null, string? Via = null);
