using System.Net;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Server.Security;
using Appliance.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Tests;

/// <summary>Joins and failed authentications are limited per source address; the admin token is never refused.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class RateLimitTests : IDisposable
{
    private readonly ServerFactory _server = new(settings: new Dictionary<string, string?>
    {
        ["RateLimits:JoinsPerMinute"] = "3",
        ["RateLimits:AuthFailuresPerMinute"] = "3",
    })
    {
        TestServices = s => s.AddSingleton<IStartupFilter, TestSourceAddress>(),
    };

    [Fact]
    public async Task Joins_past_the_limit_get_429_problem_with_retry_after_and_other_addresses_still_join()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        for (var i = 0; i < 3; i++)
        {
            await _server.JoinAsync(key, $"n{i}");
        }
        using var refused = await _server.JoinRawAsync(key, "n3");
        var problem = await Http.ProblemAsync(refused, 429);
        Assert.Contains("joins", problem.Detail, StringComparison.Ordinal);
        var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);

        // The limit is the address's own: a join from elsewhere goes through.
        using var other = _server.CreateClient();
        other.DefaultRequestHeaders.Add(TestSourceAddress.Header, "192.0.2.7");
        await Http.EnsureAsync(await other.PostAsJsonAsync("/api/v1/join", JoinRequest(key, "n4")));
    }

    [Fact]
    public async Task Bad_tokens_past_the_limit_get_429_while_the_admin_token_still_works_from_the_same_address()
    {
        using var bad = _server.As("not-a-token");
        for (var i = 0; i < 3; i++)
        {
            using var r = await bad.GetAsync("/api/v1/networks");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using var refused = await bad.GetAsync("/api/v1/networks");
        await Http.ProblemAsync(refused, 429);
        Assert.True(refused.Headers.RetryAfter is not null, "Retry-After");

        // Same (in-process) address, valid admin token: accepted, and it does not reset the count for bad tokens.
        using var admin = _server.Admin();
        using var ok = await admin.GetAsync("/api/v1/networks");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var stillRefused = await bad.GetAsync("/api/v1/networks");
        Assert.Equal(HttpStatusCode.TooManyRequests, stillRefused.StatusCode);

        // Another address's bad token is its own first failure: 401, not 429.
        using var other = _server.As("not-a-token");
        other.DefaultRequestHeaders.Add(TestSourceAddress.Header, "192.0.2.9");
        using var elsewhere = await other.GetAsync("/api/v1/networks");
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("RateLimits:JoinsPerMinute", "-1")]
    [InlineData("RateLimits:JoinsPerMinute", "many")]
    [InlineData("RateLimits:AuthFailuresPerMinute", "2000000")]
    public void Bad_rate_limit_settings_stop_the_server_naming_the_key(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => RateLimitSettings.Parse(configuration));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_rate_limit_setting_stops_the_server_at_build_naming_the_key()
    {
        using var dir = new TempDirectory("rate-limit-startup");
        var settings = new Dictionary<string, string?> { ["DataDir"] = dir.Path, ["urls"] = "http://127.0.0.1:0", ["RateLimits:JoinsPerMinute"] = "lots" };
        var e = Assert.Throws<InvalidOperationException>(() => Hosting.ServerApp.Build([], settings));
        Assert.Contains("RateLimits:JoinsPerMinute", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_broker_connection_rate_stops_the_server_at_start_naming_the_key()
    {
        using var dir = new TempDirectory("rate-limit-startup");
        var settings = new Dictionary<string, string?>
        {
            ["DataDir"] = dir.Path, ["urls"] = "http://127.0.0.1:0", ["Mqtt:Url"] = "mqtt://127.0.0.1:0", ["Mqtt:ConnectionsPerSecondPerAddress"] = "fast",
        };
        // As Program does: build, then start; the broker is made at start and its settings are checked there.
        await using var app = Hosting.ServerApp.Build([], settings);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("Mqtt:ConnectionsPerSecondPerAddress", e.Message, StringComparison.Ordinal);
        Appliance.Server.Store.SqliteStore.ReleasePool(dir.Combine(Appliance.Server.Hosting.ServerStartup.DatabaseFileName));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Rate_limit_settings_default_and_zero_turns_a_limit_off()
    {
        var defaults = RateLimitSettings.Parse(new ConfigurationBuilder().Build());
        Assert.Equal((30, 20), (defaults.JoinsPerMinute, defaults.AuthFailuresPerMinute));
        var off = RateLimitSettings.Parse(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["RateLimits:AuthFailuresPerMinute"] = "0" }).Build());
        using var limiter = new AuthFailureLimiter(off);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryRecordFailure(IPAddress.Loopback, out _));
        }
        Assert.False(limiter.IsBlocked(IPAddress.Loopback, out _));
    }

    private static JoinRequest JoinRequest(EnrollmentKeyDto key, string hostname) => new()
    {
        Key = Contracts.JoinToken.Decode(key.Token!).Key,
        PublicKey = Crypto.X25519.GenerateKeyPair().PublicKey.ToString(),
        Hostname = hostname,
        Endpoints = ["192.0.2.10"],
        Os = "test",
        Version = "0.0.1",
    };

    public void Dispose() => _server.Dispose();
}
