using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Console.Tests;

/// <summary>
/// Handshake age, path and the transfer chart (issue #21) in chromium against the real server: a node's status
/// reports go over the real broker (mosquitto_pub with the node's credential), the nodes page shows its path and
/// handshake age without a reload, and its chart is drawn once its counters move.
/// </summary>
[Trait("Category", TestCategories.Browser)]
public sealed class TransferChartTests : IAsyncLifetime
{
    private ConsoleServer _server = null!;
    private ConsoleBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await ConsoleServer.StartAsync();
        _browser = await ConsoleBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        // Either may be missing when InitializeAsync failed part-way (no chromium): dispose what was made.
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task<JoinResponse> JoinAsync(HttpClient http, string secret, string hostname)
    {
        var request = new JoinRequest { Key = secret, Hostname = hostname, PublicKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Endpoints = ["192.0.2.10"] };
        using var r = await http.PostAsJsonAsync(_server.Url + "/api/v1/join", request, ApplianceJsonContext.Default.JoinRequest);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync(ApplianceJsonContext.Default.JoinResponse))!;
    }

    /// <summary>Publishes a status report as the node does: over TLS to the server's broker, logged in with its credential.</summary>
    private async Task ReportAsync(JoinResponse node, NodeReport report)
    {
        var pub = Prerequisites.RequireProgram("mosquitto_pub");
        var json = JsonSerializer.Serialize(report, ApplianceJsonContext.Default.NodeReport);
        (await ProcessRunner.RunAsync(pub, ["-h", "127.0.0.1", "-p", _server.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cafile", Path.Combine(_server.DataDir, "ca.crt"), "--insecure", "-V", "mqttv311",
            "-i", node.NodeId, "-u", node.NodeId, "-P", node.Credential, "-t", MeshTopics.Status(node.NodeId), "-m", json],
            timeout: TimeSpan.FromSeconds(30))).EnsureSuccess("mosquitto_pub");
    }

    [Fact]
    public async Task Path_and_handshake_age_show_live_and_the_chart_after_counters_move()
    {
        JoinResponse a, b;
        using (var http = ConsoleServer.Http())
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.AdminToken);
            (await http.PostAsJsonAsync(_server.Url + "/api/v1/networks", new { name = "home", ipv4Cidr = "10.94.0.0/24" })).EnsureSuccessStatusCode();
            using var key = await http.PostAsJsonAsync(_server.Url + "/api/v1/enrollment-keys", new { networks = new[] { "home" } });
            var token = (await key.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!.Token!;
            var secret = JoinToken.Decode(token).Key;
            a = await JoinAsync(http, secret, "alpha");
            b = await JoinAsync(http, secret, "bravo");
        }
        var page = await _browser.SignedInPageAsync(_server);
        await ConsoleBrowser.OpenAsync(page, _server, "#/network/home/nodes");
        var row = page.Locator($"#node-{a.NodeId}");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row.Locator(".paths")).ToHaveTextAsync("—");

        // The first report: a direct path to bravo, handshake 7 s ago, and counters; on the open page without a reload.
        var peers = new[] { new PeerPathReport(b.NodeId, PeerPathReport.Direct, null, "192.0.2.11:51820", 7) };
        await ReportAsync(a, new NodeReport { ListenPort = 51820, Endpoints = ["192.0.2.10"], Peers = peers, RxBytes = 1_000, TxBytes = 500 });
        await Assertions.Expect(row.Locator(".paths")).ToHaveTextAsync("1 direct · handshake 7 s");
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings of alpha" }).ClickAsync();
        await Assertions.Expect(page.Locator("#node-transfer .chart-empty")).ToBeVisibleAsync(); // one sample: no rate yet
        var peer = page.Locator("#node-peers tbody tr");
        await Assertions.Expect(peer.Locator("td").Nth(0)).ToHaveTextAsync("bravo");
        await Assertions.Expect(peer.Locator("td").Nth(1)).ToHaveTextAsync("direct");
        await Assertions.Expect(peer.Locator("td").Nth(3)).ToHaveTextAsync("7 s ago");

        // Counters move: the next report makes a rate, and the chart is drawn.
        await ReportAsync(a, new NodeReport { ListenPort = 51820, Endpoints = ["192.0.2.10"], Peers = peers, RxBytes = 5_000_000, TxBytes = 250_000 });
        await Wait.UntilAsync(async () =>
        {
            // Each click redraws the panel and fetches the transfer figures again: give that fetch time to answer.
            await page.GetByRole(AriaRole.Button, new() { Name = "Settings of alpha" }).ClickAsync();
            try
            {
                await page.Locator("#node-transfer svg.chart polyline.rx, #node-transfer svg.chart circle.rx").First.WaitForAsync(new() { Timeout = 3000 });
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }, "the transfer chart drawn after the counters moved", TimeSpan.FromSeconds(30), poll: TimeSpan.FromMilliseconds(250));
        await Assertions.Expect(page.Locator("#node-transfer svg.chart polyline.rx, #node-transfer svg.chart circle.rx")).ToHaveCountAsync(1);
        var chart = page.Locator("#node-transfer svg.chart");
        Assert.Contains("received", await chart.GetAttributeAsync("aria-label"), StringComparison.Ordinal);
        await chart.ScrollIntoViewIfNeededAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "node-transfer");
    }
}
