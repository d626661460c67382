namespace Appliance.Server.Domain;

/// <summary>
/// One of the server's Ed25519 signing keys (its public half, base64), in the order they were used. Every key after
/// the first has its <see cref="Announcement"/>: the signed message, sealed by the key before it, that names it.
/// </summary>
public sealed record SigningKeyRecord(long Sequence, string PublicKey, byte[]? Announcement, DateTimeOffset CreatedAt);
