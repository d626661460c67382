using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Mqtt;

/// <summary>
/// The <c>Mqtt:*</c> settings, parsed strictly: a bad value stops the server with a message naming the key.
/// <c>Mqtt:Enabled</c> (true/false), <c>Mqtt:Broker</c> (embedded | mosquitto | rabbitmq), <c>Mqtt:PublicUrl</c> (the broker URL
/// devices get), with <c>mosquitto</c> the <c>Mqtt:Mosquitto:*</c> keys (<see cref="MosquittoSettings"/>), with
/// <c>rabbitmq</c> the <c>Mqtt:RabbitMq:*</c> keys (<see cref="RabbitMqSettings"/>).
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

    /// <summary>Set when <see cref="Broker"/> is <see cref="MeshBrokerKind.RabbitMq"/>.</summary>
    public RabbitMqSettings? RabbitMq { get; private init; }

    public bool UsesMosquitto => Enabled && Broker == MeshBrokerKind.Mosquitto;

    public bool UsesRabbitMq => Enabled && Broker == MeshBrokerKind.RabbitMq;

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
            var t when string.Equals(t, "rabbitmq", StringComparison.OrdinalIgnoreCase) => MeshBrokerKind.RabbitMq,
            var t => throw Bad("Mqtt:Broker", t, "must be 'embedded', 'mosquitto' or 'rabbitmq'"),
        };
        // Devices get the text as written (validated only).
        var publicUrl = configuration["Mqtt:PublicUrl"] is { Length: > 0 } p && MqttUrl("Mqtt:PublicUrl", p) is not null ? p : null;
        return new MqttSettings
        {
            Enabled = enabled,
            Broker = broker,
            PublicUrl = publicUrl,
            Mosquitto = enabled && broker == MeshBrokerKind.Mosquitto ? ParseMosquitto(configuration) : null,
            RabbitMq = enabled && broker == MeshBrokerKind.RabbitMq ? ParseRabbitMq(configuration, publicUrl) : null,
        };
    }

    private static RabbitMqSettings ParseRabbitMq(IConfiguration configuration, string? publicUrl)
    {
        var urls = List(configuration, "Mqtt:RabbitMq:Urls", required: true).Select(u => MqttUrl("Mqtt:RabbitMq:Urls", u)).ToList();
        if (urls.Select(u => u.Scheme).Distinct().Count() > 1)
        {
            throw Bad("Mqtt:RabbitMq:Urls", string.Join(",", urls), "mixes mqtt:// and mqtts://; the cluster's listeners are all one or the other");
        }
        var management = List(configuration, "Mqtt:RabbitMq:ManagementUrls", required: true).Select(text =>
            Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && uri.UserInfo.Length == 0 && uri.Query.Length == 0
                ? uri
                : throw Bad("Mqtt:RabbitMq:ManagementUrls", text, "must be http(s)://host:port of a node's management API (credentials go in Mqtt:RabbitMq:AdminUser/AdminPassword)")).ToList();
        var adminUser = configuration["Mqtt:RabbitMq:AdminUser"] is { Length: > 0 } au ? au
            : throw new InvalidOperationException("Mqtt:RabbitMq:AdminUser is required with Mqtt:Broker=rabbitmq (an administrator of the cluster, to provision the nodes' users)");
        var adminPassword = configuration["Mqtt:RabbitMq:AdminPassword"] is { Length: > 0 } ap ? ap
            : throw new InvalidOperationException("Mqtt:RabbitMq:AdminPassword is required with Mqtt:Broker=rabbitmq (or APPLIANCE_MQTT__RABBITMQ__ADMINPASSWORD)");
        var vhost = configuration["Mqtt:RabbitMq:VirtualHost"] is { Length: > 0 } vh ? vh : "/";
        if (vhost.Length > 255 || vhost.Any(char.IsControl))
        {
            throw Bad("Mqtt:RabbitMq:VirtualHost", vhost, "must be 1-255 printable characters");
        }
        string? caFile = null;
        if (configuration["Mqtt:RabbitMq:CaFile"] is { Length: > 0 } ca)
        {
            caFile = Path.GetFullPath(ca);
            _ = LoadCaFile(caFile, "Mqtt:RabbitMq:CaFile");
        }
        var user = configuration["Mqtt:RabbitMq:User"] is { Length: > 0 } name ? name : RabbitMqSettings.DefaultUser;
        // Node users are their 32-hex-digit ids; the server's own must never be mistaken for one (and removed).
        if (user.Length > 64 || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || Guid.TryParseExact(user, "N", out _) || user == adminUser)
        {
            throw Bad("Mqtt:RabbitMq:User", user, "must be 1-64 of a-z, A-Z, 0-9, '-', '_', '.', not look like a node id and not be the admin user");
        }
        var deviceUrls = List(configuration, "Mqtt:RabbitMq:PublicUrls", required: false);
        foreach (var d in deviceUrls)
        {
            _ = MqttUrl("Mqtt:RabbitMq:PublicUrls", d);
        }
        if (deviceUrls.Count == 0)
        {
            // Mqtt:PublicUrl (one broker, say a load balancer) still works; else devices get the cluster's own list.
            deviceUrls = publicUrl is not null ? [publicUrl] : [.. urls.Select(u => u.GetLeftPart(UriPartial.Authority))];
        }
        var sessionNodes = RabbitMqSettings.DefaultSessionQueueNodes;
        if (configuration["Mqtt:RabbitMq:SessionQueueNodes"] is { Length: > 0 } sq
            && (!int.TryParse(sq, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sessionNodes) || sessionNodes is < 1 or > RabbitMqSettings.MaxNodes))
        {
            throw Bad("Mqtt:RabbitMq:SessionQueueNodes", sq, $"must be a whole number of nodes from 1 to {RabbitMqSettings.MaxNodes} (1: no mirror, a session is lost with its node)");
        }
        return new RabbitMqSettings(urls, management, adminUser, adminPassword, vhost, caFile, user, deviceUrls, sessionNodes);
    }

    // A comma-separated value (or the array form Key:0, Key:1 of JSON config), trimmed, without empty items.
    private static List<string> List(IConfiguration configuration, string key, bool required)
    {
        var items = configuration[key] is { Length: > 0 } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()
            : configuration.GetSection(key).GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0).ToList();
        if (required && items.Count == 0)
        {
            throw new InvalidOperationException($"{key} is required with Mqtt:Broker=rabbitmq (comma-separated, one per cluster node)");
        }
        if (items.Count > RabbitMqSettings.MaxNodes)
        {
            throw Bad(key, string.Join(",", items), $"names {items.Count} nodes; at most {RabbitMqSettings.MaxNodes}");
        }
        return [.. items.Distinct(StringComparer.Ordinal)];
    }

    private static MosquittoSettings ParseMosquitto(IConfiguration configuration)
    {
        // The files and the SIGHUP are gone: say so rather than start with settings that no longer do anything.
        foreach (var retired in MosquittoSettings.RetiredKeys)
        {
            if (configuration[retired] is { Length: > 0 } old)
            {
                throw Bad(retired, old, "is no longer used: the server provisions Mosquitto through its dynamic-security plugin " +
                    "(set Mqtt:Mosquitto:AdminUser and AdminPassword; see server/Appliance.Broker/README.md, External Mosquitto)");
            }
        }
        var url = MqttUrl("Mqtt:Mosquitto:Url", configuration["Mqtt:Mosquitto:Url"] is { Length: > 0 } u ? u : MosquittoSettings.DefaultUrl);
        var adminUser = configuration["Mqtt:Mosquitto:AdminUser"] is { Length: > 0 } au ? au
            : throw new InvalidOperationException("Mqtt:Mosquitto:AdminUser is required with Mqtt:Broker=mosquitto (a dynamic-security admin, made with 'mosquitto_ctrl dynsec init')");
        var adminPassword = configuration["Mqtt:Mosquitto:AdminPassword"] is { Length: > 0 } ap ? ap
            : throw new InvalidOperationException("Mqtt:Mosquitto:AdminPassword is required with Mqtt:Broker=mosquitto (or APPLIANCE_MQTT__MOSQUITTO__ADMINPASSWORD)");
        if (adminPassword.Length > Appliance.Broker.Mosquitto.MosquittoDynSecCommands.MaxPasswordLength)
        {
            throw Bad("Mqtt:Mosquitto:AdminPassword", "(hidden)", $"is longer than {Appliance.Broker.Mosquitto.MosquittoDynSecCommands.MaxPasswordLength} characters");
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
        // Node logins are their 32-hex-digit ids: the server's own must never be mistaken for one, nor be the admin
        // (the server's mesh client and its admin client are two connections, and Mosquitto would let one end the other).
        if (!AccountName(user) || user == adminUser)
        {
            throw Bad("Mqtt:Mosquitto:User", user, "must be 1-64 of a-z, A-Z, 0-9, '-', '_', '.', not look like a node id and not be the admin user");
        }
        if (!AccountName(adminUser))
        {
            throw Bad("Mqtt:Mosquitto:AdminUser", adminUser, "must be 1-64 of a-z, A-Z, 0-9, '-', '_', '.' and not look like a node id");
        }
        return new MosquittoSettings(url, adminUser, adminPassword, caFile, user);
    }

    private static bool AccountName(string name) =>
        name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !Guid.TryParseExact(name, "N", out _);

    /// <summary>The certificates in a PEM file, or an error naming the key.</summary>
    public static X509Certificate2Collection LoadCaFile(string path, string key = "Mqtt:Mosquitto:CaFile")
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Bad(key, path, "cannot be read as PEM certificates: " + e.Message);
        }
        return roots.Count > 0 ? roots : throw Bad(key, path, "holds no PEM certificate");
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
