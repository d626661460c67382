namespace Appliance.Server.Domain;

/// <summary>A stored enrollment key: only the SHA-256 of the secret is kept. <see cref="UsesRemaining"/> null = unlimited.</summary>
public sealed record EnrollmentKeyRecord(
    string Id,
    string SecretHash,
    IReadOnlyList<string> Networks,
    int? UsesRemaining,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt);
