using System.Net;
using Appliance.Broker;
using Appliance.Server.Configuration;
using Appliance.Server.Security;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Runs the embedded MQTT broker inside the server process. It listens on <c>Mqtt:Url</c>
/// (default: the API's host, port 8883; <c>mqtts://</c> with the server certificate when the API uses TLS).
/// <c>Mqtt:Enabled=false</c> turns it off.
/// </summary>
public sealed class BrokerHost : IHostedService, IAsyncDisposable
{
    public const int DefaultPort = 8883;
    private readonly ILogger<BrokerHost> _logger;
    private readonly ServerOptions _options;
    private readonly MqttSettings _settings;

    public BrokerHost(ServerOptions serverOptions, ServerTls tls, MqttSettings settings, NodeMqttAuthenticator authenticator, IConfiguration configuration, ILogger<BrokerHost> logger)
    {
        _logger = logger;
        _options = serverOptions;
        _settings = settings;
        Enabled = settings.Enabled;
        var url = configuration["Mqtt:Url"] is { Length: > 0 } u ? u : DefaultUrl(serverOptions, tls);
        Url = new Uri(url);
        if (Url.Scheme is not ("mqtt" or "mqtts"))
        {
            throw new InvalidOperationException($"Mqtt:Url '{url}' must start with mqtt:// or mqtts://");
        }
        if (Url.Scheme == "mqtts" && tls.Certificates is null)
        {
            throw new InvalidOperationException("Mqtt:Url asks for mqtts:// but the server has no certificate (it serves plain http)");
        }
        var options = new MqttBrokerOptions
        {
            MaxNewConnectionsPerSecondPerAddress = PerAddressRate(configuration),
            Log = (level, line) => _logger.Log(level switch
            {
                MqttBrokerLogLevel.Warning => LogLevel.Warning,
                MqttBrokerLogLevel.Information => LogLevel.Information,
                _ => LogLevel.Debug,
            }, "mqtt: {Line}", line),
        };
        var address = Url.Host is "0.0.0.0" or "*" ? IPAddress.Any : Url.Host is "[::]" ? IPAddress.IPv6Any : IPAddress.Parse(Url.Host.Trim('[', ']'));
        options.Listeners.Add(new MqttBrokerListenerOptions(new IPEndPoint(address, Url.Port < 0 ? DefaultPort : Url.Port),
            Url.Scheme == "mqtts" ? tls.Certificates!.Server : null));
        Broker = new MqttBroker(options, authenticator);
    }

    public bool Enabled { get; }

    /// <summary>The configured listen URL (port 0 until started; see <see cref="BoundUrl"/>).</summary>
    public Uri Url { get; }

    public MqttBroker Broker { get; }

    /// <summary>The URL with the port actually bound.</summary>
    public Uri BoundUrl => Broker.BoundEndpoints.Count == 0 ? Url : new UriBuilder(Url) { Port = Broker.BoundEndpoints[0].Port }.Uri;

    /// <summary>The broker URL devices use: <c>Mqtt:PublicUrl</c>, else the server's public host with the bound port.</summary>
    public string? PublicUrl =>
        !Enabled ? null
        : _settings.PublicUrl ?? $"{Url.Scheme}://{new Uri(_options.PublicUrl).Host}:{BoundUrl.Port}";

    /// <summary>
    /// <c>Mqtt:ConnectionsPerSecondPerAddress</c>: new broker connections accepted per second from one source address
    /// (default <see cref="DefaultConnectionsPerSecondPerAddress"/>; 0 = no per-address limit, for fleets behind one NAT).
    /// </summary>
    private static int PerAddressRate(IConfiguration configuration)
    {
        const string key = "Mqtt:ConnectionsPerSecondPerAddress";
        var text = configuration[key];
        if (string.IsNullOrEmpty(text))
        {
            return DefaultConnectionsPerSecondPerAddress;
        }
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            throw new InvalidOperationException($"{key} must be a whole number of connections per second (0 for no limit), not '{text}'");
        }
        return n == 0 ? int.MaxValue : n;
    }

    public const int DefaultConnectionsPerSecondPerAddress = 50;

    private static string DefaultUrl(ServerOptions options, ServerTls tls)
    {
        var api = new Uri(options.Urls[0].Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
        return $"{(tls.Certificates is null ? "mqtt" : "mqtts")}://{api.Host}:{DefaultPort}";
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            _logger.LogInformation("embedded MQTT broker disabled (Mqtt:Enabled=false)");
            return;
        }
        await Broker.StartAsync(cancellationToken);
        Interlocked.Exchange(ref _state, Started);
        _logger.LogInformation("embedded MQTT broker on {Url}", BoundUrl);
    }

    // The host stops hosted services and then disposes the container: stop the broker exactly once.
    public Task StopAsync(CancellationToken cancellationToken) =>
        Interlocked.CompareExchange(ref _state, Stopped, Started) == Started ? Broker.StopAsync(cancellationToken) : Task.CompletedTask;

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private const int NotStarted = 0, Started = 1, Stopped = 2;
    private int _state = NotStarted;
}
