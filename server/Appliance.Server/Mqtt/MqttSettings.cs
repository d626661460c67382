using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Mqtt;

/// <summary>
/// The <c>Mqtt:*</c> settings, parsed strictly: a bad value stops the server with a message naming the key.
/// <c>Mqtt:Enabled</c> (true/false), <c>Mqtt:Broker</c> (embedded | mosquitto), <c>Mqtt:PublicUrl</c> (the broker URL
/// devices get), and with <c>mosquitto</c> the <c>Mqtt:Mosquitto:*</c> keys (<see cref="MosquittoSettings"/>).
/// <c>Mqtt:Url</c>, the embedded broker's listen URL, is parsed by <see cref="BrokerHost"/>.
/// </summary>
public sealed class MqttSettings
{
    public bool Enabled { get; private init; } = true;

    public MeshBrokerKind Broker { get; private init; } = MeshBrokerKind.Embedded;

    /// <summary><c>Mqtt:PublicUrl</c>, when set.</summary>
    public string? PublicUrl { get; private init; }

    /// <summary>Set when <see cref="Broker"/> is <see cref="MeshBrokerKind.Mosquitto"/>.</summary>
    public MosquittoSettings? Mosquitto { get; private init; }

    public bool UsesMosquitto => Enabled && Broker == MeshBrokerKind.Mosquitto;

    public static MqttSettings Parse(IConfiguration configuration)
    {
        var enabled = configuration["Mqtt:Enabled"] switch
        {
            null or "" => true,
            var t when string.Equals(t, "true", StringComparison.OrdinalIgnoreCase) => true,
            var t when string.Equals(t, "false", StringComparison.OrdinalIgnoreCase) => false,
            var t => throw Bad("Mqtt:Enabled", t, "must be true or false"),
        };
        var broker = configuration["Mqtt:Broker"] switch
        {
            null or "" => MeshBrokerKind.Embedded,
            var t when string.Equals(t, "embedded", StringComparison.OrdinalIgnoreCase) => MeshBrokerKind.Embedded,
            var t when string.Equals(t, "mosquitto", StringComparison.OrdinalIgnoreCase) => MeshBrokerKind.Mosquitto,
            var t => throw Bad("Mqtt:Broker", t, "must be 'embedded' or 'mosquitto'"),
        };
        // Devices get the text as written (validated only).
        var publicUrl = configuration["Mqtt:PublicUrl"] is { Length: > 0 } p && MqttUrl("Mqtt:PublicUrl", p) is not null ? p : null;
        return new MqttSettings
        {
            Enabled = enabled,
            Broker = broker,
            PublicUrl = publicUrl,
            Mosquitto = enabled && broker == MeshBrokerKind.Mosquitto ? ParseMosquitto(configuration) : null,
        };
    }

    private static MosquittoSettings ParseMosquitto(IConfiguration configuration)
    {
        var url = MqttUrl("Mqtt:Mosquitto:Url", configuration["Mqtt:Mosquitto:Url"] is { Length: > 0 } u ? u : MosquittoSettings.DefaultUrl);
        var passwordFile = RequiredPath(configuration, "Mqtt:Mosquitto:PasswordFile");
        var aclFile = RequiredPath(configuration, "Mqtt:Mosquitto:AclFile");
        if (passwordFile == aclFile)
        {
            throw Bad("Mqtt:Mosquitto:AclFile", aclFile, "must not be the password file");
        }
        int? pid = null;
        if (configuration["Mqtt:Mosquitto:Pid"] is { Length: > 0 } pidText)
        {
            pid = int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 1
                ? n
                : throw Bad("Mqtt:Mosquitto:Pid", pidText, "must be Mosquitto's process id (a whole number above 1)");
        }
        var pidFile = configuration["Mqtt:Mosquitto:PidFile"] is { Length: > 0 } pf ? Path.GetFullPath(pf) : null;
        if (pid is not null && pidFile is not null)
        {
            throw Bad("Mqtt:Mosquitto:Pid", pid.Value.ToString(CultureInfo.InvariantCulture), "and Mqtt:Mosquitto:PidFile are both set; set one");
        }
        if (pid is null && pidFile is null)
        {
            pidFile = MosquittoSettings.DefaultPidFile;
        }
        string? caFile = null;
        if (configuration["Mqtt:Mosquitto:CaFile"] is { Length: > 0 } ca)
        {
            if (url.Scheme != "mqtts")
            {
                throw Bad("Mqtt:Mosquitto:CaFile", ca, "is only used with an mqtts:// Mqtt:Mosquitto:Url");
            }
            caFile = Path.GetFullPath(ca);
            _ = LoadCaFile(caFile);
        }
        var user = configuration["Mqtt:Mosquitto:User"] is { Length: > 0 } name ? name : MosquittoSettings.DefaultUser;
        // It becomes a "user:hash" line and a "user <name>" ACL block; node ids are 32 hex digits, so no clash.
        if (user.Length > 64 || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || Guid.TryParseExact(user, "N", out _))
        {
            throw Bad("Mqtt:Mosquitto:User", user, "must be 1-64 of a-z, A-Z, 0-9, '-', '_', '.' and not look like a node id");
        }
        return new MosquittoSettings(url, passwordFile, aclFile, pidFile, pid, caFile, user);
    }

    /// <summary>The certificates in a PEM file, or an error naming the key.</summary>
    public static X509Certificate2Collection LoadCaFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Bad("Mqtt:Mosquitto:CaFile", path, "cannot be read as PEM certificates: " + e.Message);
        }
        return roots.Count > 0 ? roots : throw Bad("Mqtt:Mosquitto:CaFile", path, "holds no PEM certificate");
    }

    private static string RequiredPath(IConfiguration configuration, string key)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidOperationException($"{key} is required with Mqtt:Broker=mosquitto (the file named in mosquitto.conf)");
        }
        var full = Path.GetFullPath(text);
        var dir = Path.GetDirectoryName(full);
        return dir is not null && Directory.Exists(dir) ? full : throw Bad(key, text, $"is in a directory that does not exist ({dir})");
    }

    private static Uri MqttUrl(string key, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts") || uri.Host.Length == 0
            || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw Bad(key, text, "must be mqtt://host[:port] or mqtts://host[:port]");
        }
        return uri.IsDefaultPort || uri.Port < 0
            ? new UriBuilder(uri) { Port = uri.Scheme == "mqtts" ? 8883 : 1883 }.Uri
            : uri;
    }

    private static InvalidOperationException Bad(string key, string value, string rule) => new($"{key} '{value}' {rule}");
}
