using System.Net;

namespace Appliance.Server.Domain;

/// <summary>
/// A stored node: one device in one network. Only the hash of its credential is kept. <see cref="InternetGateway"/>:
/// the egress node (with a default route) this node sends its internet traffic through. NAT traversal (issue #18):
/// <see cref="Relay"/> (set by an admin), <see cref="MappedEndpoint"/> (its WireGuard socket's public address, as a
/// relay observed it), <see cref="NoRelay"/> and <see cref="NoPunch"/> (the device owner's opt-outs, from its reports).
/// </summary>
public sealed record NodeRecord(
    string Id,
    string Network,
    string Name,
    string Hostname,
    string PublicKey,
    IPAddress? Ipv4,
    IPAddress? Ipv6,
    int ListenPort,
    IReadOnlyList<string> Endpoints,
    string Os,
    string Version,
    IReadOnlyList<string> Tags,
    string CredentialHash,
    string? EnrollmentKeyId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeen,
    string? InternetGateway = null,
    bool Relay = false,
    string? MappedEndpoint = null,
    bool NoRelay = false,
    bool NoPunch = false)
{
    /// <summary>Whether other nodes may send traffic through this one: an admin made it a relay and its owner did not opt out.</summary>
    public bool IsActiveRelay => Relay && !NoRelay;
}
