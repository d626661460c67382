using System.Security.Cryptography;
using System.Text;

namespace Appliance.Broker.Mosquitto;

/// <summary>
/// Mosquitto 2.0 password file hashes: <c>$7$&lt;iterations&gt;$&lt;base64 salt&gt;$&lt;base64 hash&gt;</c>,
/// PBKDF2-HMAC-SHA512 with a 12-byte salt and a 64-byte key (the format mosquitto_passwd writes). Pure.
/// </summary>
public static class MosquittoPasswordHash
{
    public const int DefaultIterations = 101;
    private const int SaltLength = 12;
    private const int KeyLength = 64;

    public static string Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        return Create(password, salt, iterations);
    }

    public static string Create(string password, ReadOnlySpan<byte> salt, int iterations)
    {
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, KeyLength);
        return $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}";
    }

    /// <summary>Checks a password against a $7$ hash (as Mosquitto would).</summary>
    public static bool Verify(string password, string hash)
    {
        var parts = hash.Split('$');
        if (parts.Length != 5 || parts[1] != "7" || !int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }
        var expected = Create(password, Convert.FromBase64String(parts[3]), iterations);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(hash));
    }
}
