using System.Globalization;
using System.Net;
using Appliance.Contracts.Mesh;
using Appliance.Server.Metrics;
using Appliance.Server.Services;
using Appliance.Server.Security;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// GET /metrics (issue #21): Prometheus text format 0.0.4 that promtool accepts (parse and lint), values that move
/// after a join, and who may read it: the admin token or the read-only scrape token, never anyone else.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MetricsApiTests : IDisposable
{
    private readonly ServerFactory _server = new();
    private readonly HttpClient _admin;

    public MetricsApiTests() => _admin = _server.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _server.Dispose();
    }

    private async Task<string> ScrapeAsync(HttpClient? client = null)
    {
        using var r = await (client ?? _admin).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(PrometheusText.ContentType, r.Content.Headers.ContentType!.ToString(), ignoreCase: true);
        return await r.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one sample ("name{labels}"), or null when the scrape has no such sample.</summary>
    private static double? Value(string scrape, string sample)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(sample.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    private static async Task PromtoolAcceptsAsync(string scrape)
    {
        // promtool (Debian's prometheus package) parses the exposition and lints it: exit 0 means neither found fault.
        var promtool = Prerequisites.RequireProgram("promtool");
        var result = await ProcessRunner.RunAsync(promtool, ["check", "metrics"], stdin: scrape, timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"promtool check metrics: exit {result.ExitCode}\n{result.StdOut}{result.StdErr}\n---\n{scrape}");
    }

    [Fact]
    public async Task The_scrape_parses_and_its_values_move_after_a_join()
    {
        await _server.CreateNetworkAsync("home", "10.50.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var before = await ScrapeAsync();
        await PromtoolAcceptsAsync(before);
        Assert.Equal(0, Value(before, "appliance_nodes{network=\"home\",state=\"online\"}"));
        Assert.Equal(0, Value(before, "appliance_nodes{network=\"home\",state=\"offline\"}"));
        Assert.Equal(0, Value(before, "appliance_joins_total{network=\"home\"}"));
        var version = Value(before, "appliance_network_version{network=\"home\"}")!.Value;
        Assert.NotNull(Value(before, "appliance_broker_connections"));

        await _server.JoinAsync(key, "a");
        var after = await ScrapeAsync();
        await PromtoolAcceptsAsync(after);
        // A node that just joined was seen at its join: online.
        Assert.Equal(1, Value(after, "appliance_nodes{network=\"home\",state=\"online\"}"));
        Assert.Equal(1, Value(after, "appliance_joins_total{network=\"home\"}"));
        Assert.True(Value(after, "appliance_network_version{network=\"home\"}") > version);
        // The join's change reached the publisher: one more commit-to-publish observation, in the +Inf bucket too.
        var observed = await Wait.ForAsync(async () => Value(await ScrapeAsync(), "appliance_propagation_seconds_count") ?? 0, n => n >= 1,
            "the join's propagation observed");
        Assert.True(observed >= 1);
        var latest = await ScrapeAsync();
        Assert.Equal(Value(latest, "appliance_propagation_seconds_count"), Value(latest, "appliance_propagation_seconds_bucket{le=\"+Inf\"}"));
        Assert.Null(Value(latest, "appliance_gateway_dns_queries_total{network=\"home\",node=\"a\"}"));
    }

    [Fact]
    public async Task A_gateway_reports_its_dns_queries()
    {
        await _server.CreateNetworkAsync("home", "10.50.0.0/24");
        var joined = await _server.JoinAsync(await _server.CreateKeyAsync("home"), "gw");
        var nodes = _server.Services.GetRequiredService<NodeService>();
        await nodes.ReportAsync(joined.NodeId, new NodeReport { ListenPort = 51820, DnsQueries = 42 }, CancellationToken.None);
        var scrape = await ScrapeAsync();
        await PromtoolAcceptsAsync(scrape);
        Assert.Equal(42, Value(scrape, "appliance_gateway_dns_queries_total{network=\"home\",node=\"gw\"}"));
        // A node that leaves takes its series with it.
        using (var r = await _admin.DeleteAsync($"/api/v1/nodes/{joined.NodeId}"))
        {
            await Http.EnsureAsync(r);
        }
        Assert.Null(Value(await ScrapeAsync(), "appliance_gateway_dns_queries_total{network=\"home\",node=\"gw\"}"));
    }

    [Fact]
    public async Task A_label_value_with_quotes_and_backslashes_is_escaped()
    {
        var text = new PrometheusText()
            .Family("t_total", "counter", "a test")
            .Sample("t_total", 1, ("x", "a\"b\\c\nd"))
            .ToString();
        Assert.Equal("# HELP t_total a test\n# TYPE t_total counter\nt_total{x=\"a\\\"b\\\\c\\nd\"} 1\n", text);
        await PromtoolAcceptsAsync(text);
    }

    [Fact]
    public async Task Only_the_admin_or_the_scrape_token_may_read_it()
    {
        using var anonymous = _server.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        await _server.CreateNetworkAsync("home", "10.50.0.0/24");
        var joined = await _server.JoinAsync(await _server.CreateKeyAsync("home"), "a");
        using (var node = _server.As(joined.Credential))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await node.GetAsync("/metrics")).StatusCode);
        }

        var token = await MetricsToken.CreateAsync(_server.Store, CancellationToken.None);
        Assert.StartsWith(Secrets.MetricsPrefix, token, StringComparison.Ordinal);
        using var scraper = _server.As(token);
        await PromtoolAcceptsAsync(await ScrapeAsync(scraper));
        // Read-only: the scrape token opens /metrics and nothing else.
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/v1/networks")).StatusCode);
        // Its hash is kept, not the token.
        var stored = await _server.Store.ReadAsync(s => s.GetSetting(MetricsToken.HashSetting));
        Assert.Equal(Secrets.Hash(token), stored);

        // A new token replaces it; a revoke ends it at once.
        var second = await MetricsToken.CreateAsync(_server.Store, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper.GetAsync("/metrics")).StatusCode);
        using var scraper2 = _server.As(second);
        Assert.Equal(HttpStatusCode.OK, (await scraper2.GetAsync("/metrics")).StatusCode);
        Assert.True(await MetricsToken.RevokeAsync(_server.Store, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, (await scraper2.GetAsync("/metrics")).StatusCode);
        Assert.False(await MetricsToken.RevokeAsync(_server.Store, CancellationToken.None));
    }
}
