namespace Appliance.Contracts.Mesh;

/// <summary>
/// How a node reaches one peer node, as its agent reports it and the node API shows it: <see cref="Path"/> is
/// "direct", "relay" (through <see cref="Via"/>, a relay's node id) or "probing" (still trying candidates);
/// <see cref="Endpoint"/> is the endpoint WireGuard has for the peer now (for a relayed peer: the relay's), and
/// <see cref="HandshakeAgeSeconds"/> the age of the last handshake with it (null: none yet).
/// </summary>
public sealed record PeerPathReport(string NodeId, string Path, string? Via, string? Endpoint, long? HandshakeAgeSeconds)
{
    public const string Direct = "direct";
    public const string Relayed = "relay";
    public const string Probing = "probing";
}
