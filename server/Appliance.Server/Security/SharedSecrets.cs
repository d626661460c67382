using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.Server.Domain;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// With a store several servers share (PostgreSQL), the secrets every server must have alike live in the store's
/// settings: the CA (certificate and key), the signing key, the server id and the admin token's hash. The first server
/// on an empty database makes them in one write (writes are serialized across servers, so two servers starting at once
/// end with one CA); every server then copies them into its own data dir, where the file-based start-up
/// (<see cref="ServerCertificates"/>, <see cref="SigningKeyRing"/>, <see cref="ServerIdentity"/>, <see cref="AdminToken"/>)
/// finds them as if it had made them. Each server still issues its own TLS certificate (for its own names) from the
/// shared CA. The SQLite store keeps the secrets in the data dir only, as before.
/// </summary>
public static class SharedSecrets
{
    public const string CaCertificateSetting = "secret_ca_crt";
    public const string CaKeySetting = "secret_ca_key";
    public const string SigningKeySetting = "secret_signing_key";

    /// <summary>What <see cref="Share"/> found or made.</summary>
    public sealed record Outcome(bool MadeCa, bool MadeSigningKey, bool MadeServerId, string? NewAdminToken);

    /// <summary>Takes the shared secrets from the store, or makes those it lacks, and writes them into the data dir.</summary>
    /// <exception cref="InvalidOperationException">The store has nodes but no signing key (a node would refuse a new one).</exception>
    public static Outcome Share(IApplianceStore store, string dataDir, ILogger logger, DateTimeOffset now)
    {
        // Start-up, before anything else uses the store.
        var (secrets, outcome) = store.WriteAsync(s => TakeOrMake(s, now)).GetAwaiter().GetResult();
        Materialize(dataDir, secrets);
        if (outcome.NewAdminToken is { } token)
        {
            var path = Path.Combine(dataDir, AdminToken.FileName);
            AtomicFile.Write(path, token + "\n", secret: true);
            logger.LogWarning("first start on this database: the admin API token is in {Path} (mode 0600); every server on the database accepts it", path);
        }
        if (outcome.MadeCa)
        {
            logger.LogInformation("made the CA shared by every server on this database");
        }
        return outcome;
    }

    private sealed record Values(string CaCertificate, string CaKey, string SigningKey, string ServerId);

    private static (Values, Outcome) TakeOrMake(IStoreSession s, DateTimeOffset now)
    {
        var caCert = s.GetSetting(CaCertificateSetting);
        var caKey = s.GetSetting(CaKeySetting);
        var madeCa = false;
        if (caCert is null || caKey is null)
        {
            if (caCert is not null || caKey is not null)
            {
                throw new InvalidOperationException(
                    $"the store holds only one half of the CA ({(caCert is null ? CaKeySetting : CaCertificateSetting)}); restore the database from a backup");
            }
            (caCert, caKey) = ServerCertificates.NewCaPem();
            s.SetSetting(CaCertificateSetting, caCert);
            s.SetSetting(CaKeySetting, caKey);
            madeCa = true;
        }
        var signingKey = s.GetSetting(SigningKeySetting);
        var madeSigningKey = false;
        if (signingKey is null)
        {
            if (s.AnyNodes())
            {
                throw new InvalidOperationException(
                    $"the store has nodes but no signing key ({SigningKeySetting}); a new key would make every node refuse the servers' updates: " +
                    "migrate the data dir's signing.key with 'appliance-server migrate' or restore the database");
            }
            var fresh = Ed25519.GeneratePrivateKey();
            signingKey = Convert.ToBase64String(fresh);
            s.SetSetting(SigningKeySetting, signingKey);
            s.DeleteSigningKeys();
            s.InsertSigningKey(new SigningKeyRecord(1, Convert.ToBase64String(Ed25519.PublicKeyOf(fresh)), null, now));
            madeSigningKey = true;
        }
        var serverId = s.GetSetting(ServerIdentity.Setting);
        var madeId = false;
        if (string.IsNullOrEmpty(serverId))
        {
            serverId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            s.SetSetting(ServerIdentity.Setting, serverId);
            madeId = true;
        }
        string? token = null;
        if (s.GetSetting(AdminToken.HashSetting) is null)
        {
            token = Secrets.NewAdminToken();
            s.SetSetting(AdminToken.HashSetting, Secrets.Hash(token));
        }
        return (new Values(caCert, caKey, signingKey, serverId), new Outcome(madeCa, madeSigningKey, madeId, token));
    }

    // The files the file-based start-up reads, replaced only when they differ from the store (the store is the truth).
    private static void Materialize(string dataDir, Values v)
    {
        var caCrt = Path.Combine(dataDir, "ca.crt");
        if (!SameText(caCrt, v.CaCertificate))
        {
            AtomicFile.Write(Path.Combine(dataDir, "ca.key"), v.CaKey, secret: true);
            AtomicFile.Write(caCrt, v.CaCertificate, secret: false);
            // Issued by another CA (the name alone cannot tell: every CA made on this machine has the same one).
            File.Delete(Path.Combine(dataDir, "server.crt"));
        }
        else if (!SameText(Path.Combine(dataDir, "ca.key"), v.CaKey))
        {
            AtomicFile.Write(Path.Combine(dataDir, "ca.key"), v.CaKey, secret: true);
        }
        var signing = Path.Combine(dataDir, SigningKeyRing.FileName);
        // A rotation another server finished (or this one's own left half-way) is in the store; a pending file here is stale.
        File.Delete(signing + ".new");
        if (!SameText(signing, v.SigningKey + "\n"))
        {
            AtomicFile.Write(signing, v.SigningKey + "\n", secret: true);
        }
        var id = Path.Combine(dataDir, ServerIdentity.FileName);
        if (!SameText(id, v.ServerId + "\n"))
        {
            AtomicFile.Write(id, v.ServerId + "\n", secret: true);
        }
    }

    private static bool SameText(string path, string text) => File.Exists(path) && File.ReadAllText(path) == text;
}
