using Appliance.Contracts;
using Appliance.Server.Store;

namespace Appliance.Server.Security;

/// <summary>
/// The admin API token: made on first start into admin.token in the data dir (0600); only its hash is stored, and a
/// presented token is checked against that hash in constant time.
/// </summary>
public sealed class AdminToken
{
    public const string FileName = "admin.token";
    /// <summary>The setting that holds the token's hash.</summary>
    internal const string HashSetting = "admin_token_hash";

    private readonly string _hash;

    private AdminToken(string path, string hash)
    {
        Path = path;
        _hash = hash;
    }

    /// <summary>Where the token was written on first start.</summary>
    public string Path { get; }

    public bool Matches(string presented) => Secrets.Matches(presented, _hash);

    /// <summary>The stored token's hash, or on first start a new token written to the data dir and its hash stored.</summary>
    public static AdminToken LoadOrCreate(IApplianceStore store, string dataDir, ILogger logger)
    {
        var path = System.IO.Path.Combine(dataDir, FileName);
        // Start-up, before anything else uses the store: the SQLite store's sessions complete synchronously.
        var existing = store.ReadAsync(s => s.GetSetting(HashSetting)).GetAwaiter().GetResult();
        if (existing is not null)
        {
            if (!File.Exists(path))
            {
                logger.LogWarning("the admin token file {Path} is missing; the token stored (as a hash) still works", path);
            }
            return new AdminToken(path, existing);
        }
        var token = Secrets.NewAdminToken();
        AtomicFile.Write(path, token + "\n", secret: true);
        var hash = Secrets.Hash(token);
        store.WriteAsync(s => { s.SetSetting(HashSetting, hash); return 0; }).GetAwaiter().GetResult();
        logger.LogWarning("first start: the admin API token is in {Path} (mode 0600); send it as 'Authorization: Bearer <token>'", path);
        return new AdminToken(path, hash);
    }
}
