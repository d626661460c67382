using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Server.Security;

/// <summary>
/// Bearer secrets the server hands out. Each has a prefix saying what it is ("apa." admin token,
/// "apn.&lt;nodeId&gt;." node credential, "apk." enrollment key) and 256 random bits. Only SHA-256 hashes are stored:
/// the secrets are random, so a fast hash is enough and nothing can be brute-forced from the store.
/// </summary>
public static class Secrets
{
    public const string AdminPrefix = "apa.";
    public const string NodePrefix = "apn.";
    public const string EnrollmentKeyPrefix = "apk.";
    public const string MetricsPrefix = "apm.";

    public static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewAdminToken() => AdminPrefix + NewSecret();

    public static string NewEnrollmentKey() => EnrollmentKeyPrefix + NewSecret();

    /// <summary>A read-only scrape token for GET /metrics (<see cref="MetricsToken"/>).</summary>
    public static string NewMetricsToken() => MetricsPrefix + NewSecret();

    public static string NewNodeCredential(string nodeId) => NodePrefix + nodeId + "." + NewSecret();

    /// <summary>The node id inside a node credential, or null when it is not one.</summary>
    public static string? NodeIdOf(string credential)
    {
        if (!credential.StartsWith(NodePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = credential.AsSpan(NodePrefix.Length);
        var dot = rest.IndexOf('.');
        return dot <= 0 ? null : rest[..dot].ToString();
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Compares a presented secret with a stored hash in constant time.</summary>
    public static bool Matches(string presented, string storedHash)
    {
        var a = Encoding.ASCII.GetBytes(Hash(presented));
        var b = Encoding.ASCII.GetBytes(storedHash);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
