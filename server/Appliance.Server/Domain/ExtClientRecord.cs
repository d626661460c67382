using System.Net;

namespace Appliance.Server.Domain;

/// <summary>
/// A stored ext client: a plain WireGuard peer of an ingress gateway, not a node. <see cref="PrivateKey"/> is kept
/// only when the server generated the pair (to render the client's config later); a client-supplied key has none.
/// <see cref="ExpiryPublished"/>: the expiry has passed and the network version was bumped for it.
/// </summary>
public sealed record ExtClientRecord(
    string Id,
    string Network,
    string Name,
    string Gateway,
    string PublicKey,
    string? PrivateKey,
    IPAddress? Ipv4,
    IPAddress? Ipv6,
    bool Enabled,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset CreatedAt,
    long? RxBytes = null,
    long? TxBytes = null,
    DateTimeOffset? LastHandshake = null,
    bool ExpiryPublished = false)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && e <= now;

    /// <summary>Enabled and not expired: the gateway accepts it.</summary>
    public bool IsActive(DateTimeOffset now) => Enabled && !IsExpired(now);

    /// <summary>
    /// Active as far as the mesh state goes: enabled, and no expiry published yet. The mesh state is a function of the
    /// stored records only (one version, one state); between the expiry instant and its publication the gateway's own
    /// ExpiresAt check already stops the client.
    /// </summary>
    public bool IsActiveInMesh => Enabled && !ExpiryPublished;
}
