using System.Globalization;
using System.Security.Cryptography;

namespace Appliance.Server.Security;

/// <summary>
/// Slow password hashes for the web console's accounts: PBKDF2-HMAC-SHA256 (<see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{char}, ReadOnlySpan{byte}, int, HashAlgorithmName, int)"/>),
/// a random 16-byte salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> (base64) so a later count still
/// verifies older hashes. Pure: no I/O besides the random salt.
/// </summary>
public static class PasswordHash
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.3 s per check on a small x86 core.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Passwords longer than this are refused before hashing (PBKDF2 cost grows with nothing, but input is bounded).</summary>
    public const int MaxPasswordLength = 256;

    public const int MinPasswordLength = 10;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True when <paramref name="password"/> is the one <paramref name="stored"/> was made from (constant-time compare); false for a malformed hash.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1 or > 10_000_000)
        {
            return false;
        }
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        if (password.Length > MaxPasswordLength || expected.Length != HashBytes)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Null when the password may be used, else why not.</summary>
    public static string? Problem(string? password) =>
        string.IsNullOrEmpty(password) ? "is required"
        : password.Length < MinPasswordLength ? $"must be at least {MinPasswordLength} characters"
        : password.Length > MaxPasswordLength ? $"must be at most {MaxPasswordLength} characters"
        : password.Any(char.IsControl) ? "must not contain control characters"
        : null;
}
