using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Console.Tests;

/// <summary>
/// The activity log page (issue #21) in chromium against the real server: a change made on the console and one made
/// by the real CLI each show with their actor, and the network filter keeps only that network's entries.
/// </summary>
[Trait("Category", TestCategories.Browser)]
public sealed class ActivityPageTests : IAsyncLifetime
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

    [Fact]
    public async Task Console_and_cli_changes_show_with_their_actor_and_filter_by_network()
    {
        var page = await _browser.SignedInPageAsync(_server);
        var create = page.Locator("form").Filter(new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Create network", Exact = true }) });
        await create.GetByLabel("Name").FillAsync("office");
        await create.GetByLabel("IPv4 range").FillAsync("10.91.0.0/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create network", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "office: nodes" })).ToBeVisibleAsync();
        (await _server.CliAsync(null, "network", "create", "lab", "--ipv4", "10.92.0.0/24", "--server", _server.Url)).EnsureSuccess("network create");

        await page.GetByRole(AriaRole.Link, new() { Name = "Activity", Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Activity" })).ToBeVisibleAsync();
        var rows = page.Locator("#activity tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        // Newest first: the CLI's network, then the console account's, then the account itself (admin add, on the data dir).
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("cli");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("network lab created");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("console");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync(ConsoleServer.Admin);
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("POST /api/v1/networks");
        await Assertions.Expect(rows.Nth(2)).ToContainTextAsync("admin add " + ConsoleServer.Admin);
        await ConsoleBrowser.ScreenshotAsync(page, "activity");

        // The filter: one network's entries only, and the address says which (a reload keeps it).
        await page.GetByLabel("Network").SelectOptionAsync("office");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "office: activity" })).ToBeVisibleAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("network office created");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/activity/office$"));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#activity tbody tr")).ToHaveCountAsync(1);
    }
}
