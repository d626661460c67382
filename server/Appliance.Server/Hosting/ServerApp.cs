using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Appliance.Contracts;
using Appliance.Server.Api;
using Appliance.Server.WebConsole;
using Appliance.Server.Configuration;
using Appliance.Server.Mqtt;
using Appliance.Server.Security;
using Appliance.Server.Services;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Configuration.Memory;

namespace Appliance.Server.Hosting;

/// <summary>Composes the server: configuration sources, services, TLS, auth and routes.</summary>
public static class ServerApp
{
    public const string AdminPolicy = "admin";

    /// <summary>
    /// Builds the web app. Configuration, lowest to highest: built-in defaults, the config file
    /// (<c>--config</c> or APPLIANCE_CONFIG), APPLIANCE_* environment variables, command-line options.
    /// </summary>
    // Several servers on one PostgreSQL database with one broker (cluster) between them and the agents: each write is
    // published through the change feed by the replica holding the publisher lock. A server on PostgreSQL with its own
    // embedded broker is one server as far as its agents go: its store hands it its changes, as with SQLite.
    private static bool ReplicasShareFeed(IServiceProvider sp) =>
        sp.GetRequiredService<Store.IApplianceStore>() is Store.PostgresStore && sp.GetRequiredService<IMeshBus>() is ExternalMeshBus { Enabled: true };

    public static WebApplication Build(string[] args, IDictionary<string, string?> commandLine)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { ["urls"] = ServerOptions.DefaultUrls, ["DataDir"] = ServerOptions.DefaultDataDir },
        });
        var configFile = commandLine.TryGetValue("Config", out var c) && c is not null ? c : Environment.GetEnvironmentVariable("APPLIANCE_CONFIG");
        if (!string.IsNullOrEmpty(configFile))
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"the config file '{configFile}' does not exist");
            }
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        builder.Configuration.AddEnvironmentVariables("APPLIANCE_");
        builder.Configuration.AddInMemoryCollection(commandLine.Where(kv => kv.Value is not null && kv.Key != "Config"));

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        // Composition at the edge: the options parsed once, what start-up makes registered one by one; each service
        // takes the narrow things it uses.
        services.AddSingleton(sp => ServerOptions.Parse(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<Metrics.ChangeStageCounters>();
        services.AddSingleton(sp => ServerStartup.Open(sp.GetRequiredService<ServerOptions>(), sp.GetRequiredService<ILogger<ServerStartup>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Metrics.ChangeStageCounters>()));
        services.AddSingleton(sp => sp.GetRequiredService<ServerStartup>().Store);
        services.AddSingleton(sp => sp.GetRequiredService<ServerStartup>().Tls);
        services.AddSingleton(sp => sp.GetRequiredService<ServerStartup>().AdminToken);
        services.AddSingleton(sp => sp.GetRequiredService<ServerStartup>().SigningKeys);
        services.AddSingleton(sp => sp.GetRequiredService<ServerStartup>().Identity);
        services.AddSingleton<NetworkService>();
        services.AddSingleton<EnrollmentKeyService>();
        services.AddSingleton<JoinService>();
        services.AddSingleton<PeerPathBook>();
        services.AddSingleton<NodeService>();
        services.AddSingleton<Mesh.NodeCommandPublisher>();
        services.AddSingleton<GatewayService>();
        services.AddSingleton<ExtClientService>();
        services.AddSingleton<DnsEntryService>();
        services.AddSingleton<PolicyService>();
        services.AddSingleton<SigningKeyService>();
        services.AddSingleton<ActivityService>();
        services.AddSingleton<Metrics.ServerMetrics>();
        services.AddSingleton<TransferHistory>();
        services.AddSingleton<MetricsService>();
        // The web console (WebConsole/): accounts, sign-in sessions and lock-out, its files, and the live status feed
        // (which the store tells of every committed write).
        services.AddSingleton<AdminAccountService>();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<SignInLimiter>();
        services.AddSingleton<ConsoleAssets>();
        services.AddSingleton(sp =>
        {
            var feed = new NodeStatusFeed();
            sp.GetRequiredService<Store.IApplianceStore>().AddChangeSink(feed);
            return feed;
        });
        services.AddMeshBus();
        services.AddSingleton(sp =>
        {
            var publisher = ActivatorUtilities.CreateInstance<Mesh.MeshPublisher>(sp);
            if (ReplicasShareFeed(sp))
            {
                // Replicas: every write of every replica comes through the change feed, published by one at a time.
                publisher.FollowFeed();
            }
            else
            {
                // The store hands it what every committed write changed.
                sp.GetRequiredService<Store.IApplianceStore>().AddChangeSink(publisher);
            }
            return publisher;
        });
        services.AddHostedService(sp => sp.GetRequiredService<Mesh.MeshPublisher>());
        services.AddHostedService(sp => new Mesh.ChangeFeedPublishing(
            ReplicasShareFeed(sp) ? ((Store.PostgresStore)sp.GetRequiredService<Store.IApplianceStore>()).OpenChangeFeed() : null,
            sp.GetRequiredService<Mesh.MeshPublisher>(), sp.GetRequiredService<SigningKeyRing>(), sp.GetRequiredService<Store.IApplianceStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Mesh.ChangeFeedPublishing>>()));
        services.AddHostedService<NodeReportListener>();
        services.AddSingleton<Mesh.ExtClientExpiryWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Mesh.ExtClientExpiryWatcher>());
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApplianceJsonContext.Default));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi();
        // Bearer tokens only: the authentication core without AddAuthentication's data protection, whose start-up
        // service writes a key ring to ~/.aspnet (outside the data dir) and loads the XML stack for nothing.
        services.AddAuthenticationCore(o =>
        {
            o.DefaultScheme = BearerAuthenticationHandler.SchemeName;
            o.AddScheme<BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, displayName: null);
            o.AddScheme<ConsoleCookieHandler>(ConsoleCookieHandler.SchemeName, displayName: null);
        });
        services.AddWebEncoders();
        services.AddTransient<BearerAuthenticationHandler>();
        services.AddTransient<ConsoleCookieHandler>();
        // Lists of a thousand nodes are ~0.5 MB of JSON: compressed for the console's first load. GET answers only
        // (see the UseWhen below), which carry no secret next to text a caller chose (BREACH).
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["application/json", "text/html", "text/css", "text/javascript"];
        });
        services.AddSingleton(sp => RateLimitSettings.Parse(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<AuthFailureLimiter>();
        services.AddRateLimiter(o =>
        {
            // Joins per source address (the route is anonymous and each join writes to the store).
            o.AddPolicy(NodeEndpoints.JoinRateLimitPolicy, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<RateLimitSettings>().JoinsPerMinute;
                var source = http.Connection.RemoteIpAddress is { } a ? (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).ToString() : "";
                return perMinute == 0
                    ? RateLimitPartition.GetNoLimiter(source)
                    : RateLimitPartition.GetFixedWindowLimiter(source, _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = RateLimitSettings.Window, QueueLimit = 0 });
            });
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (rejected, _) => new ValueTask(TooManyRequests.WriteAsync(rejected.HttpContext,
                rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : RateLimitSettings.Window,
                "too many joins from this address"));
        });
        // The admin token, or a web console session (whose state-changing calls ConsoleCsrfMiddleware checks).
        var admin = new AuthorizationPolicyBuilder(BearerAuthenticationHandler.SchemeName, ConsoleCookieHandler.SchemeName)
            .RequireRole(BearerAuthenticationHandler.AdminRole).Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, admin)
            // GET /metrics: the admin (token or console) or the read-only scrape token.
            .AddPolicy(MetricsEndpoints.MetricsPolicy, p => p.AddAuthenticationSchemes(BearerAuthenticationHandler.SchemeName, ConsoleCookieHandler.SchemeName)
                .RequireRole(BearerAuthenticationHandler.AdminRole, BearerAuthenticationHandler.MetricsRole))
            .AddPolicy(NodeEndpoints.NodePolicy, p => p.AddAuthenticationSchemes(BearerAuthenticationHandler.SchemeName).RequireRole(BearerAuthenticationHandler.NodeRole))
            // Secure by default: a route that names no policy needs the admin token.
            .SetFallbackPolicy(admin);

        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            // The server-wide ceiling until a route's own limit applies (RequestBodyLimits): a refused caller's body is
            // never drained past it.
            kestrel.Limits.MaxRequestBodySize = RequestBodyLimits.Json;
            kestrel.ConfigureHttpsDefaults(https =>
            {
                var certs = kestrel.ApplicationServices.GetRequiredService<ServerTls>().Certificates
                    ?? throw new InvalidOperationException("https requested but no certificate was made");
                https.ServerCertificate = certs.Server;
                // Send the CA along so devices can check the chain against the fingerprint they pinned.
                https.ServerCertificateChain = new X509Certificate2Collection(certs.Ca);
            });
        });

        var app = builder.Build();
        // Parsed now, not at the first request: a bad RateLimits:* value stops the start naming the key.
        app.Services.GetRequiredService<RateLimitSettings>();
        // First: a join's whole request counts in its stage (GET /metrics: appliance_stage_*).
        app.UseMiddleware<JoinRequestTiming>();
        app.UseMiddleware<ProblemMiddleware>();
        app.UseWhen(http => HttpMethods.IsGet(http.Request.Method), get => get.UseResponseCompression());
        // Before authentication and before any body is read: a refused join costs no store lookup and no parsing.
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<ConsoleCsrfMiddleware>();
        // The actor of each state-changing request, for the activity log the store writes as the change commits.
        app.UseMiddleware<ActivityMiddleware>();
        // After authorization, so a caller without the right credential learns only that (401/403), body or not.
        app.UseMiddleware<RequestBodyLimits>();

        app.MapGet("/healthz", () => TypedResults.Ok(new HealthDto("ok"))).AllowAnonymous().WithTags("Health");
        app.MapOpenApi().AllowAnonymous();
        // The CA certificate is public: devices fetch it and check it against the fingerprint in their join token.
        app.MapGet("/" + Crypto.CertificatePin.CaPath, (ServerTls tls) => tls.Certificates is { } c
                ? Results.Text(c.Ca.ExportCertificatePem(), "application/x-pem-file")
                : Results.NotFound())
            .AllowAnonymous().WithTags("Health").ExcludeFromDescription();
        app.MapConsole(AdminPolicy);
        app.MapMetrics();
        var api = app.MapGroup("/api/v1");
        api.MapJoin();
        api.MapNodeSelf();
        api.MapNodeSigningKeys();
        var adminApi = api.MapGroup(string.Empty).RequireAuthorization(AdminPolicy);
        adminApi.MapNetworks();
        adminApi.MapEnrollmentKeys();
        adminApi.MapNodes();
        adminApi.MapGateways();
        adminApi.MapRelays();
        adminApi.MapExtClients();
        adminApi.MapDnsEntries();
        adminApi.MapPolicies();
        adminApi.MapSigningKey();
        adminApi.MapActivity();
        return app;
    }

    /// <summary>Parses the options and makes the data dir, store, certificates, admin token, signing key and server id now, so problems show at start.</summary>
    public static ServerStartup Initialize(WebApplication app)
    {
        var options = app.Services.GetRequiredService<ServerOptions>();
        var startup = app.Services.GetRequiredService<ServerStartup>();
        app.Logger.LogInformation("data dir {DataDir}; join tokens point devices at {PublicUrl}{Pin}",
            options.DataDir, options.PublicUrl, startup.Tls.TokenFingerprint is { } fp ? $" (CA fingerprint {fp})" : " (plain http, no certificate pin)");
        return startup;
    }
}

/// <summary>GET /healthz.</summary>
public sealed record HealthDto(string Status);
