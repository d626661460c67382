namespace Appliance.Contracts.Api;

/// <summary>
/// GET /api/v1/node/signing-keys (the node itself, over pinned HTTPS): the server's current signing key and the chain
/// of announcements that lead to it, oldest first. Each announcement is a signed message (base64) sealed by the key
/// before it and naming the next, so a node that missed rotations follows them from the key it holds.
/// </summary>
public sealed record SigningKeyChainDto(string PublicKey, IReadOnlyList<string> Announcements);

/// <summary>GET /api/v1/signing-key and POST /api/v1/signing-key/rotate (admin): the key in use, its place in the chain.</summary>
public sealed record SigningKeyDto(string PublicKey, long Sequence, DateTimeOffset CreatedAt);
