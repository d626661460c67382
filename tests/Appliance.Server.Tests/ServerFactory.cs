using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.Server.Hosting;
using Appliance.Server.Security;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>The real server in-process (ASP.NET test host) on a throwaway data dir.</summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    private readonly TempDirectory? _ownedDir;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    /// <param name="settings">Extra configuration keys (for example the Mqtt:* ones), applied after the defaults here.</param>
    public ServerFactory(string? dataDir = null, int addressHoldSeconds = 3600, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string?>();
        if (dataDir is null)
        {
            _ownedDir = new TempDirectory("appliance-server");
            dataDir = _ownedDir.Path;
        }
        DataDir = dataDir;
        AddressHoldSeconds = addressHoldSeconds;
    }

    public string DataDir { get; }
    public int AddressHoldSeconds { get; }

    /// <summary>Replaces services after the server's own registrations (for fakes).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("DataDir", DataDir);
        builder.UseSetting("urls", "https://127.0.0.1:1");
        builder.UseSetting("PublicUrl", "https://appliance.test:8443");
        builder.UseSetting("Mqtt:Url", "mqtts://127.0.0.1:0");
        builder.UseSetting("AddressHoldSeconds", AddressHoldSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Every request of the in-process client comes from one address: tests that join hundreds of nodes or probe
        // bad tokens would hit the per-address limits, which RateLimitTests turns back on.
        builder.UseSetting("RateLimits:JoinsPerMinute", "0");
        builder.UseSetting("RateLimits:AuthFailuresPerMinute", "0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    /// <summary>Builds the host and makes what the server makes at start (as Program does before serving); throws what start-up throws.</summary>
    public ServerStartup Started => Services.GetRequiredService<ServerStartup>();

    /// <summary>The server's store (made at start, like everything below).</summary>
    public IApplianceStore Store => Services.GetRequiredService<IApplianceStore>();

    /// <summary>The server's CA and server certificate (null when it serves plain http).</summary>
    public ServerCertificates? Certificates => Services.GetRequiredService<ServerTls>().Certificates;

    public SigningKeyRing SigningKeys => Services.GetRequiredService<SigningKeyRing>();

    /// <summary>The public half of the signing key in use, base64.</summary>
    public string SigningPublicKey => SigningKeys.Current.PublicKey;

    public string ServerId => Services.GetRequiredService<ServerIdentity>().Id;

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, Appliance.Server.Security.AdminToken.FileName)).Trim();

    public HttpClient Admin()
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return c;
    }

    public HttpClient As(string credential)
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return c;
    }

    public async Task<NetworkDto> CreateNetworkAsync(string name, string ipv4, string? ipv6 = null)
    {
        using var admin = Admin();
        var r = await admin.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = name, Ipv4Cidr = ipv4, Ipv6Cidr = ipv6 });
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<NetworkDto>())!;
    }

    public async Task<EnrollmentKeyDto> CreateKeyAsync(string network, int? uses = null, DateTimeOffset? expiresAt = null, string[]? tags = null)
    {
        using var admin = Admin();
        var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys",
            new CreateEnrollmentKeyRequest { Networks = [network], Uses = uses, ExpiresAt = expiresAt, Tags = tags });
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!;
    }

    public async Task<HttpResponseMessage> JoinRawAsync(EnrollmentKeyDto key, string hostname, WgKey? publicKey = null, IReadOnlyList<string>? endpoints = null)
    {
        using var anon = CreateClient();
        var token = JoinToken.Decode(key.Token!);
        return await anon.PostAsJsonAsync("/api/v1/join", new JoinRequest
        {
            Key = token.Key,
            PublicKey = (publicKey ?? X25519.GenerateKeyPair().PublicKey).ToString(),
            Hostname = hostname,
            Endpoints = endpoints ?? ["192.0.2.10"],
            Os = "test",
            Version = "0.0.1",
        });
    }

    public async Task<JoinResponse> JoinAsync(EnrollmentKeyDto key, string hostname, IReadOnlyList<string>? endpoints = null)
    {
        using var r = await JoinRawAsync(key, hostname, endpoints: endpoints);
        await Http.EnsureAsync(r);
        return (await r.Content.ReadFromJsonAsync<JoinResponse>())!;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Appliance.Server.Store.SqliteStore.ReleasePool(Path.Combine(DataDir, Appliance.Server.Hosting.ServerStartup.DatabaseFileName));
            _ownedDir?.Dispose();
        }
    }
}

/// <summary>Response helpers that show the server's problem text when a call fails.</summary>
public static class Http
{
    public static async Task EnsureAsync(HttpResponseMessage r)
    {
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)r.StatusCode} {r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}: {await r.Content.ReadAsStringAsync()}");
        }
    }

    public static async Task<ProblemDto> ProblemAsync(HttpResponseMessage r, int expectedStatus)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)r.StatusCode}: {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        return System.Text.Json.JsonSerializer.Deserialize(body, ApplianceJsonContext.Default.ProblemDto)!;
    }
}
