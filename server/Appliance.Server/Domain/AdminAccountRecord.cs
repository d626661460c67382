namespace Appliance.Server.Domain;

/// <summary>
/// A web console account: its name, its password as a slow hash (<c>pbkdf2-sha256$iterations$salt$hash</c>) and when
/// the password last changed (a session made before that no longer counts).
/// </summary>
public sealed record AdminAccountRecord(string Name, string PasswordHash, DateTimeOffset CreatedAt, DateTimeOffset PasswordChangedAt);
