namespace Appliance.Contracts.Api;

/// <summary>POST /api/v1/enrollment-keys. <c>uses</c> absent means unlimited.</summary>
public sealed record CreateEnrollmentKeyRequest
{
    public IReadOnlyList<string>? Networks { get; init; }
    public int? Uses { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>
/// An enrollment key. <see cref="Token"/> (the ready join token) is only returned when the key is created:
/// the server stores a hash of the key, never the key itself.
/// </summary>
public sealed record EnrollmentKeyDto(
    string Id,
    IReadOnlyList<string> Networks,
    int? UsesRemaining,
    bool Unlimited,
    DateTimeOffset? ExpiresAt,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    string? Token);
