using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Console.Tests;

/// <summary>
/// The access policy page (issue #21) in chromium against the real server: a document with a mistake is refused with
/// the error at its line, a failing test shows as failed with its reason, a passing document is saved and its tests
/// shown as passed, and the saved text (comments and all) is what the page shows again.
/// </summary>
[Trait("Category", TestCategories.Browser)]
public sealed class PolicyPageTests : IAsyncLifetime
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

    private const string Good = """
        // office may print; nobody reaches the printer's ssh
        { "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631"] } ],
          "tests": [ { "from": "tag:office", "to": "tag:printer", "accept": ["tcp:631"], "deny": ["tcp:22"] } ] }
        """;

    [Fact]
    public async Task Errors_show_at_their_line_and_test_results_show_before_and_after_saving()
    {
        // The tags the document names come from an enrollment key of the network (nodes that join with it carry them).
        using (var http = ConsoleServer.Http())
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.AdminToken);
            (await http.PostAsJsonAsync(_server.Url + "/api/v1/networks", new { name = "office", ipv4Cidr = "10.93.0.0/24" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync(_server.Url + "/api/v1/enrollment-keys", new { networks = new[] { "office" }, tags = new[] { "office", "printer" } })).EnsureSuccessStatusCode();
        }
        var page = await _browser.SignedInPageAsync(_server);
        await ConsoleBrowser.OpenAsync(page, _server, "#/network/office/nodes");
        await page.GetByRole(AriaRole.Link, new() { Name = "Policy", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "office: access policy" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#policy-state")).ToContainTextAsync("No policy");
        var text = page.GetByLabel("Policy document (JSON with comments)");

        // An unknown tag on line 3: refused, the line marked in the gutter and named in the list.
        await text.FillAsync("{\n  \"rules\": [\n    { \"from\": [\"tag:nobody\"], \"to\": [\"*\"], \"ports\": [\"*\"] }\n  ]\n}\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Assertions.Expect(page.Locator("#policy-errors li[data-line='3']")).ToContainTextAsync("nobody");
        await Assertions.Expect(page.Locator(".gutter .bad")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#policy-state")).ToContainTextAsync("No policy"); // nothing saved
        await ConsoleBrowser.ScreenshotAsync(page, "policy-error");

        // A test that fails: shown failed, with its reason, at its line.
        await text.FillAsync(Good.Replace("\"deny\": [\"tcp:22\"]", "\"deny\": [\"tcp:631\"]", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Run tests" }).ClickAsync();
        await Assertions.Expect(page.Locator("#policy-results tr.fail")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#policy-errors li[data-line='3']")).ToContainTextAsync("tcp:631 is accepted, the test expects it denied");

        // The good document: saved (revision 1), its test passed, and it comes back as written after a reload.
        await text.FillAsync(Good);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Assertions.Expect(page.Locator("#policy-state")).ToContainTextAsync("revision 1");
        await Assertions.Expect(page.Locator("#policy-results tr.pass")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#policy-errors li")).ToHaveCountAsync(0);
        await ConsoleBrowser.ScreenshotAsync(page, "policy");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByLabel("Policy document (JSON with comments)")).ToHaveValueAsync(Good);
        await Assertions.Expect(page.Locator("#policy-results tr.pass")).ToHaveCountAsync(1);
    }
}
