using System.Net;

namespace Appliance.Server.Domain;

/// <summary>
/// A stored node: one device in one network. Only the hash of its credential is kept. <see cref="InternetGateway"/>:
/// the egress node (with a default route) this node sends its internet traffic through.
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
    string? InternetGateway = null);
