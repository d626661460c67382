using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Appliance.Contracts;

namespace Appliance.Server.Configuration;

/// <summary>
/// The server's own settings, parsed once from the final configuration (defaults, config file, APPLIANCE_*
/// environment variables, command line). A bad value stops the start with a message naming the key.
/// </summary>
public sealed record ServerOptions
{
    public const string DefaultUrls = "https://0.0.0.0:8443";
    public const string DefaultDataDir = "appliance-data";

    /// <summary>The data dir, as a full path (DataDir; default ./appliance-data).</summary>
    public required string DataDir { get; init; }

    /// <summary>The API's listen URLs (urls, ';'-separated; default https://0.0.0.0:8443).</summary>
    public required IReadOnlyList<string> Urls { get; init; }

    /// <summary>The URL join tokens point devices at (PublicUrl; default: the first listen URL, a wildcard host replaced by this machine's address). No trailing slash.</summary>
    public required string PublicUrl { get; init; }

    /// <summary>How long a deleted node's or ext client's addresses are held back from new ones (AddressHoldSeconds, default 3600).</summary>
    public TimeSpan AddressHold { get; init; } = TimeSpan.FromSeconds(3600);

    /// <summary>A node not seen for this long shows offline (OfflineAfterSeconds, default 120).</summary>
    public TimeSpan OfflineAfter { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The optional domain suffix of every network's zone (Dns:Suffix, e.g. mesh.internal): zone = &lt;network&gt;.&lt;suffix&gt;.</summary>
    public string? DnsSuffix { get; init; }

    /// <summary>Which engine keeps the store (Store:Kind: sqlite, the default, in the data dir; or postgres).</summary>
    public StoreKind Store { get; init; } = StoreKind.Sqlite;

    /// <summary>The PostgreSQL connection string (Store:ConnectionString; only with Store:Kind postgres, and required then).</summary>
    public string? StoreConnectionString { get; init; }

    /// <summary>
    /// Mesh:PerNodeUpdates (true/false, default false): send every change to each member on its own topic, never once
    /// on the network's shared topic. For comparing the two ways (the mesh-sync benchmark) and for a broker that
    /// cannot fan out; agents apply either.
    /// </summary>
    public bool PerNodeUpdates { get; init; }

    /// <summary>True when the API listens on https or devices reach it by an https public URL: the server needs its certificates.</summary>
    public bool UsesTls =>
        Urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) || new Uri(PublicUrl).Scheme == "https";

    /// <summary>True when join tokens carry the CA fingerprint: only for an https public URL.</summary>
    public bool PinsCertificate => PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="InvalidOperationException">A value is malformed (the message names its key).</exception>
    public static ServerOptions Parse(IConfiguration configuration)
    {
        var dataDir = Path.GetFullPath(configuration["DataDir"] is { Length: > 0 } d ? d : DefaultDataDir);
        var urls = (configuration["urls"] is { Length: > 0 } u ? u : DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var addressHold = TimeSpan.FromSeconds(Seconds(configuration, "AddressHoldSeconds", 3600));
        var offlineAfter = TimeSpan.FromSeconds(Seconds(configuration, "OfflineAfterSeconds", 120));
        var dnsSuffix = ParseDnsSuffix(configuration["Dns:Suffix"]);
        var (store, connectionString) = ParseStore(configuration["Store:Kind"], configuration["Store:ConnectionString"]);
        var publicUrl = (configuration["PublicUrl"] is { Length: > 0 } p ? p : DerivePublicUrl(urls[0])).TrimEnd('/');
        if (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var parsedPublic) || parsedPublic.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"PublicUrl '{publicUrl}' is not an http(s) URL");
        }
        var perNodeUpdates = configuration["Mesh:PerNodeUpdates"] switch
        {
            null or "" => false,
            var t when bool.TryParse(t, out var b) => b,
            var t => throw new InvalidOperationException($"Mesh:PerNodeUpdates must be true or false, not '{t}'"),
        };
        return new ServerOptions
        {
            PerNodeUpdates = perNodeUpdates,
            DataDir = dataDir,
            Urls = urls,
            PublicUrl = publicUrl,
            AddressHold = addressHold,
            OfflineAfter = offlineAfter,
            DnsSuffix = dnsSuffix,
            Store = store,
            StoreConnectionString = connectionString,
        };
    }

    /// <summary>Store:Kind (empty = sqlite) and Store:ConnectionString, which postgres needs and sqlite must not have.</summary>
    public static (StoreKind Kind, string? ConnectionString) ParseStore(string? kind, string? connectionString)
    {
        var parsed = kind?.Trim().ToLowerInvariant() switch
        {
            null or "" or "sqlite" => StoreKind.Sqlite,
            "postgres" or "postgresql" => StoreKind.Postgres,
            _ => throw new InvalidOperationException($"Store:Kind (--store) must be sqlite or postgres, not '{kind}'"),
        };
        var connection = string.IsNullOrWhiteSpace(connectionString) ? null : connectionString.Trim();
        if (parsed == StoreKind.Postgres && connection is null)
        {
            throw new InvalidOperationException(
                "Store:Kind postgres needs Store:ConnectionString (or APPLIANCE_STORE__CONNECTIONSTRING), for example 'Host=db;Database=appliance;Username=appliance'");
        }
        if (parsed == StoreKind.Sqlite && connection is not null)
        {
            // Most likely a forgotten --store postgres: serving from a new SQLite file instead would look like data loss.
            throw new InvalidOperationException("Store:ConnectionString is set but Store:Kind is sqlite; pass --store postgres (or Store:Kind=postgres) to use it");
        }
        if (connection is { Length: > 4096 })
        {
            throw new InvalidOperationException("Store:ConnectionString is longer than 4096 characters");
        }
        return (parsed, connection);
    }

    /// <summary>Dns:Suffix: empty = none; otherwise DNS labels joined by dots (one trailing dot allowed), at most 200 characters.</summary>
    public static string? ParseDnsSuffix(string? text)
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

    private static int Seconds(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidOperationException($"{key} must be a whole number of seconds (0 or more), not '{text}'");
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
}
