using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Hosting;

/// <summary>
/// What the server learns at start from its configuration and data dir: the store, the TLS material,
/// the public URL written into join tokens, and the admin token (made on first start).
/// Created lazily from the final configuration, so tests and config files can override everything.
/// </summary>
public sealed class ServerContext : IDisposable
{
    public const string DefaultUrls = "https://0.0.0.0:8443";
    public const string DefaultDataDir = "appliance-data";
    private const string AdminTokenHashSetting = "admin_token_hash";

    public ServerContext(IConfiguration configuration, ILogger<ServerContext> logger)
    {
        DataDir = Path.GetFullPath(configuration["DataDir"] is { Length: > 0 } d ? d : DefaultDataDir);
        DataDirPermissions.Enforce(DataDir);
        Urls = (configuration["urls"] is { Length: > 0 } u ? u : DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        AddressHold = TimeSpan.FromSeconds(Seconds(configuration, "AddressHoldSeconds", 3600));
        OfflineAfter = TimeSpan.FromSeconds(Seconds(configuration, "OfflineAfterSeconds", 120));
        DnsSuffix = ParseDnsSuffix(configuration["Dns:Suffix"]);
        PublicUrl = (configuration["PublicUrl"] is { Length: > 0 } p ? p : DerivePublicUrl(Urls[0])).TrimEnd('/');
        if (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var parsedPublic) || parsedPublic.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"PublicUrl '{PublicUrl}' is not an http(s) URL");
        }
        Store = new SqliteStore(Path.Combine(DataDir, "appliance.db"));

        var publicUri = new Uri(PublicUrl);
        if (Urls.Any(x => x.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) || publicUri.Scheme == "https")
        {
            Certificates = ServerCertificates.LoadOrCreate(DataDir, [publicUri.Host]);
        }
        AdminTokenPath = Path.Combine(DataDir, "admin.token");
        EnsureAdminToken(logger);
        SigningKeys = SigningKeyRing.Open(DataDir, Store, DateTimeOffset.UtcNow);
        (ServerId, var madeId) = ServerIdentity.LoadOrCreate(DataDir, Store);
        if (madeId is not null)
        {
            logger.Log(madeId == ServerIdentity.FirstStart ? LogLevel.Information : LogLevel.Warning,
                "new server id {ServerId} ({Why}): agents take this server's snapshots as a new lineage", ServerId, madeId);
        }
        // Last, so the files made above (the store's -wal and -shm among them) are owner-only too.
        DataDirPermissions.Enforce(DataDir);
    }

    /// <summary>The Ed25519 key that signs what the server pushes to nodes (signing.key, 0600) and the chain of earlier keys.</summary>
    public SigningKeyRing SigningKeys { get; }

    /// <summary>The private key in use.</summary>
    internal byte[] SigningKey => SigningKeys.PrivateKey;

    /// <summary>Its public half, base64: nodes learn it at join and accept only updates it verifies (or announces).</summary>
    public string SigningPublicKey => SigningKeys.Current.PublicKey;

    /// <summary>The server's id (<see cref="ServerIdentity"/>): every update carries it.</summary>
    public string ServerId { get; }

    public string DataDir { get; }
    public IReadOnlyList<string> Urls { get; }
    public string PublicUrl { get; }
    public TimeSpan AddressHold { get; }
    public TimeSpan OfflineAfter { get; }
    /// <summary>The optional domain suffix of every network's zone (Dns:Suffix, e.g. mesh.internal): zone = &lt;network&gt;.&lt;suffix&gt;.</summary>
    public string? DnsSuffix { get; }
    public IApplianceStore Store { get; }
    public ServerCertificates? Certificates { get; }
    public string AdminTokenPath { get; }

    /// <summary>The fingerprint join tokens carry: only for an https public URL.</summary>
    public string? TokenFingerprint => PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? Certificates?.CaFingerprint : null;

    public bool IsAdminToken(string presented) => Secrets.Matches(presented, _adminTokenHash);

    private string _adminTokenHash = string.Empty;

    private void EnsureAdminToken(ILogger logger)
    {
        var existing = Store.ReadAsync(s => s.GetSetting(AdminTokenHashSetting)).GetAwaiter().GetResult();
        if (existing is not null)
        {
            _adminTokenHash = existing;
            if (!File.Exists(AdminTokenPath))
            {
                logger.LogWarning("the admin token file {Path} is missing; the token stored (as a hash) still works", AdminTokenPath);
            }
            return;
        }
        var token = Secrets.NewAdminToken();
        AtomicFile.Write(AdminTokenPath, token + "\n", secret: true);
        _adminTokenHash = Secrets.Hash(token);
        Store.WriteAsync(s => { s.SetSetting(AdminTokenHashSetting, _adminTokenHash); return 0; }).GetAwaiter().GetResult();
        logger.LogWarning("first start: the admin API token is in {Path} (mode 0600); send it as 'Authorization: Bearer <token>'", AdminTokenPath);
    }

    private static int Seconds(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidOperationException($"{key} must be a whole number of seconds (0 or more), not '{text}'");
    }

    /// <summary>Dns:Suffix: empty = none; otherwise DNS labels joined by dots (one trailing dot allowed), at most 200 characters.</summary>
    internal static string? ParseDnsSuffix(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var suffix = text.EndsWith('.') ? text[..^1] : text;
        if (suffix.Length == 0 || suffix.Length > 200 || !suffix.Split('.').All(Names.IsDnsLabel))
        {
            throw new InvalidOperationException(
                $"Dns:Suffix must be a domain name of lower-case DNS labels joined by dots (for example mesh.internal), not '{text}'");
        }
        return suffix;
    }

    /// <summary>The URL devices should use: the listen URL, with a wildcard host replaced by this machine's address.</summary>
    private static string DerivePublicUrl(string listenUrl)
    {
        var normalized = listenUrl.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        var uri = new Uri(normalized);
        var host = uri.Host;
        if (host is "0.0.0.0" or "[::]" or "::")
        {
            host = PrimaryAddress()?.ToString() ?? Dns.GetHostName();
        }
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString();
    }

    private static IPAddress? PrimaryAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);

    public void Dispose() => (Store as IDisposable)?.Dispose();
}
