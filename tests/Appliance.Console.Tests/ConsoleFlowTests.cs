using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Console.Tests;

/// <summary>
/// Each page's main flow in chromium against the real server process, with the real appliance-agent joining: the
/// node appears (and comes back online) on the open page without a reload.
/// </summary>
[Trait("Category", TestCategories.Browser)]
public sealed partial class ConsoleFlowTests : IAsyncLifetime
{
    // Short, so the test sees a node go offline and come back when the agent calls in; long enough that "online" is
    // still true when a loaded machine gets the row drawn after the agent's call (join, pull) returns.
    private const int OfflineAfterSeconds = 10;

    private ConsoleServer _server = null!;
    private ConsoleBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await ConsoleServer.StartAsync(OfflineAfterSeconds);
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

    private static ILocator Form(IPage page, string submit) => page.Locator("form").Filter(new() { Has = page.GetByRole(AriaRole.Button, new() { Name = submit, Exact = true }) });

    private static Task Submit(IPage page, string submit) => page.GetByRole(AriaRole.Button, new() { Name = submit, Exact = true }).ClickAsync();

    private async Task<string> CreateNetworkAsync(IPage page, string name, string ipv4)
    {
        await ConsoleBrowser.OpenAsync(page, _server, "#/networks");
        var create = Form(page, "Create network");
        await create.GetByLabel("Name").FillAsync(name);
        await create.GetByLabel("IPv4 range").FillAsync(ipv4);
        await Submit(page, "Create network");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"{name}: nodes" })).ToBeVisibleAsync();
        return name;
    }

    private async Task<string> CreateKeyTokenAsync(IPage page, string network)
    {
        await ConsoleBrowser.OpenAsync(page, _server, $"#/network/{network}/keys");
        await Form(page, "Create key").GetByLabel("Uses").FillAsync("3");
        await Submit(page, "Create key");
        return await page.Locator("#new-key").GetByLabel("Join token").InputValueAsync();
    }

    [Fact]
    public async Task Network_key_real_join_node_online_live_then_rename_and_delete()
    {
        var page = await _browser.SignedInPageAsync(_server);

        // A refused field: the API's message next to it, everything typed still there.
        var create = Form(page, "Create network");
        await create.GetByLabel("Name").FillAsync("home");
        await create.GetByLabel("IPv4 range").FillAsync("10.81.0.0/33");
        await create.GetByLabel("MTU").FillAsync("1400");
        await Submit(page, "Create network");
        var ipv4Error = create.Locator("[id$='-ipv4Cidr-error']");
        await Assertions.Expect(ipv4Error).Not.ToBeEmptyAsync();
        await Assertions.Expect(create.GetByLabel("IPv4 range")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal("home", await create.GetByLabel("Name").InputValueAsync());
        Assert.Equal("1400", await create.GetByLabel("MTU").InputValueAsync());
        await ConsoleBrowser.ScreenshotAsync(page, "networks-field-error");
        await create.GetByLabel("IPv4 range").FillAsync("10.81.0.0/24");
        await Submit(page, "Create network");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "home: nodes" })).ToBeVisibleAsync();

        // An enrollment key: the token once, the command, and a QR code that reads back as the token.
        await page.GetByRole(AriaRole.Link, new() { Name = "Enrollment keys" }).ClickAsync();
        var keyForm = Form(page, "Create key");
        await keyForm.GetByLabel("Uses").FillAsync("2");
        await keyForm.GetByLabel("Tags").FillAsync("office, lab");
        await Submit(page, "Create key");
        var secret = page.Locator("#new-key");
        var token = await secret.GetByLabel("Join token").InputValueAsync();
        Assert.Equal($"appliance-agent join --token {token}", await secret.GetByLabel("On the device (as root)").InputValueAsync());
        Assert.Equal(token, await QrReader.DecodeAsync(secret.GetByRole(AriaRole.Img)));
        await ConsoleBrowser.ScreenshotAsync(page, "enrollment-key");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "home: enrollment keys" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#new-key")).ToHaveCountAsync(0); // shown once: not on the next visit
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tbody tr td").Nth(3)).ToHaveTextAsync("office, lab");

        // The nodes page stays open (no reload: the marker survives) while a real agent joins with that token.
        await page.GetByRole(AriaRole.Link, new() { Name = "Nodes" }).ClickAsync();
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("Live: following status reports.");
        await page.EvaluateAsync("window.__stillHere = true");
        var state = _server.Dir.Combine("alpha");
        (await _server.AgentAsync("join", "--token", token, "--state-dir", state, "--hostname", "alpha", "--endpoint", "192.0.2.1")).EnsureSuccess("agent join");
        var row = page.Locator("#nodes tbody tr", new() { HasText = "alpha" });
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("online");
        await Assertions.Expect(row).ToContainTextAsync("10.81.0.1");
        await Assertions.Expect(row).ToContainTextAsync("192.0.2.1:51821");
        await ConsoleBrowser.ScreenshotAsync(page, "nodes");

        // Silent past the offline time, it shows offline; the agent calls home and it is back, still without a reload.
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("offline", new() { Timeout = 30_000 });
        (await _server.AgentAsync("pull", "--state-dir", state, "--json")).EnsureSuccess("agent pull");
        await Assertions.Expect(row.Locator(".badge").First).ToHaveTextAsync("online");
        Assert.True(await page.EvaluateAsync<bool>("window.__stillHere === true"));

        // Rename and an egress role through its settings: the row follows.
        await row.GetByRole(AriaRole.Button, new() { Name = "Settings of alpha" }).ClickAsync();
        var rename = Form(page, "Rename");
        await rename.GetByLabel("Name").FillAsync("Bad_Name");
        await Submit(page, "Rename");
        await Assertions.Expect(rename.Locator("[id$='-name-error']")).ToContainTextAsync("DNS label");
        await rename.GetByLabel("Name").FillAsync("gateway-1");
        await Submit(page, "Rename");
        var renamed = page.Locator("#nodes tbody tr", new() { HasText = "gateway-1" });
        await Assertions.Expect(renamed).ToHaveCountAsync(1);
        await renamed.GetByRole(AriaRole.Button, new() { Name = "Settings of gateway-1" }).ClickAsync();
        await Form(page, "Make egress gateway").GetByLabel("Egress ranges").FillAsync("192.168.7.0/24");
        await Submit(page, "Make egress gateway");
        await Assertions.Expect(renamed).ToContainTextAsync("egress 192.168.7.0/24");

        // Delete, confirmed in the dialog: the row goes.
        await renamed.GetByRole(AriaRole.Button, new() { Name = "Delete gateway-1" }).ClickAsync();
        await Assertions.Expect(page.Locator("#nodes tbody tr")).ToHaveCountAsync(0);
        var nodes = await ApiAsync("/api/v1/networks/home/nodes");
        Assert.Equal("[]", nodes);

        // Networks: edit, then delete with the confirmation.
        await ConsoleBrowser.OpenAsync(page, _server, "#/networks");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit home" }).ClickAsync();
        var edit = Form(page, "Save");
        await edit.GetByLabel("Listen port").FillAsync("70000");
        await Submit(page, "Save");
        await Assertions.Expect(edit.Locator("[id$='-listenPort-error']")).ToHaveTextAsync("must be 1-65535");
        await edit.GetByLabel("Listen port").FillAsync("51999");
        await Submit(page, "Save");
        await Assertions.Expect(page.Locator("#network-home")).ToContainTextAsync("51999");
        await ConsoleBrowser.ScreenshotAsync(page, "networks");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete home" }).ClickAsync();
        await Assertions.Expect(page.Locator("#network-home")).ToHaveCountAsync(0);
        Assert.Equal("[]", await ApiAsync("/api/v1/networks"));
    }

    [Fact]
    public async Task Ext_client_qr_reads_as_its_config_download_matches_and_disable_enable_and_dns_entries()
    {
        var page = await _browser.SignedInPageAsync(_server);
        await CreateNetworkAsync(page, "office", "10.82.0.0/24");
        var token = await CreateKeyTokenAsync(page, "office");
        (await _server.AgentAsync("join", "--token", token, "--state-dir", _server.Dir.Combine("gw"), "--hostname", "gw", "--endpoint", "198.51.100.7"))
            .EnsureSuccess("agent join");

        // The node becomes an ingress gateway from its settings.
        await ConsoleBrowser.OpenAsync(page, _server, "#/network/office/nodes");
        await page.GetByRole(AriaRole.Button, new() { Name = "Settings of gw" }).ClickAsync();
        await Submit(page, "Accept ext clients");
        await Assertions.Expect(page.Locator("#nodes tbody tr", new() { HasText = "gw" })).ToContainTextAsync("ingress");

        await page.GetByRole(AriaRole.Link, new() { Name = "Ext clients" }).ClickAsync();
        var create = Form(page, "Create client");
        await create.GetByLabel("Name").FillAsync("phone");
        await create.GetByLabel("Public key (optional)").FillAsync("not-a-key");
        await Submit(page, "Create client");
        await Assertions.Expect(create.Locator("[id$='-publicKey-error']")).ToContainTextAsync("WireGuard public key");
        Assert.Equal("phone", await create.GetByLabel("Name").InputValueAsync());
        await create.GetByLabel("Public key (optional)").FillAsync("");
        await create.GetByLabel("Expires (optional)").FillAsync(DateTime.Now.AddDays(7).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await Submit(page, "Create client");
        var row = page.Locator("tbody tr", new() { HasText = "phone" });
        await Assertions.Expect(row).ToContainTextAsync("active");
        await Assertions.Expect(row).ToContainTextAsync("10.82.0.2");

        await row.GetByRole(AriaRole.Button, new() { Name = "QR code of phone" }).ClickAsync();
        var config = await QrReader.DecodeAsync(page.Locator("#client-qr img"));
        Assert.Contains("[Interface]", config, StringComparison.Ordinal);
        Assert.Matches(ConfigLine(), config);
        await ConsoleBrowser.ScreenshotAsync(page, "ext-clients");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Link, new() { Name = "Download phone.conf" }).ClickAsync());
        Assert.Equal("phone.conf", download.SuggestedFilename);
        var file = _server.Dir.Combine("phone.conf");
        await download.SaveAsAsync(file);
        Assert.Equal(config.TrimEnd(), (await File.ReadAllTextAsync(file)).TrimEnd());

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable phone" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr", new() { HasText = "phone" })).ToContainTextAsync("disabled");
        Assert.Contains("\"enabled\":false", await ApiAsync("/api/v1/networks/office/ext-clients"), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enable phone" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr", new() { HasText = "phone" })).ToContainTextAsync("active");

        // DNS entries: a bad value is named by its field; a good one is listed; delete asks first.
        await page.GetByRole(AriaRole.Link, new() { Name = "DNS" }).ClickAsync();
        var dns = Form(page, "Add entry");
        await dns.GetByLabel("Name").FillAsync("printer");
        await dns.GetByLabel("Value").FillAsync("not-an-address");
        await Submit(page, "Add entry");
        await Assertions.Expect(dns.Locator("[id$='-value-error']")).Not.ToBeEmptyAsync();
        await dns.GetByLabel("Value").FillAsync("192.168.1.20");
        await Submit(page, "Add entry");
        await Assertions.Expect(page.Locator("tbody tr", new() { HasText = "printer" })).ToContainTextAsync("192.168.1.20");
        await ConsoleBrowser.ScreenshotAsync(page, "dns");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete printer A" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr", new() { HasText = "printer" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Keyboard_alone_signs_in_and_creates_a_network_and_every_field_has_a_label()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(_server.Url + "/");
        // The name field has focus on arrival (autofocus takes effect at the next frame after load); from there on only keys.
        await Assertions.Expect(page.GetByLabel("Name")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(ConsoleServer.Admin);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(ConsoleServer.Password);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Networks", Exact = true })).ToBeVisibleAsync();

        async Task<string> Focused() => await page.EvaluateAsync<string>("document.activeElement ? (document.activeElement.name || document.activeElement.textContent || '') : ''");
        for (var i = 0; i < 40 && await Focused() != "name"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Equal("name", await Focused());
        await page.Keyboard.TypeAsync("keys");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("ipv4Cidr", await Focused());
        await page.Keyboard.TypeAsync("10.83.0.0/24");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "keys: nodes" })).ToBeVisibleAsync();

        // Tab reaches the tabs, Enter follows one.
        for (var i = 0; i < 40 && await Focused() != "Enrollment keys"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "keys: enrollment keys" })).ToBeVisibleAsync();

        foreach (var (path, heading) in new[] { ("#/networks", "Networks"), ("#/network/keys/nodes", "keys: nodes"), ("#/network/keys/keys", "keys: enrollment keys"),
            ("#/network/keys/clients", "keys: ext clients"), ("#/network/keys/dns", "keys: DNS") })
        {
            await ConsoleBrowser.OpenAsync(page, _server, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
            var unlabelled = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('input, select, textarea')]
                  .filter(e => e.type !== 'hidden' && !(e.id && document.querySelector(`label[for="${e.id}"]`)) && !e.closest('label'))
                  .map(e => e.name || e.outerHTML)
                """);
            Assert.True(unlabelled.Length == 0, $"{path}: fields without a label: {string.Join(", ", unlabelled)}");
        }
    }

    [Fact]
    public async Task Works_on_a_phone_screen()
    {
        var page = await _browser.SignedInPageAsync(_server, width: 390, height: 844);
        await CreateNetworkAsync(page, "phone", "10.84.0.0/24");
        await ConsoleBrowser.OpenAsync(page, _server, "#/networks");
        await Assertions.Expect(page.Locator("#network-phone")).ToBeVisibleAsync();
        // Nothing wider than the screen but the tables' own scrolling boxes.
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than a 390 px screen");
        await ConsoleBrowser.ScreenshotAsync(page, "phone-networks");
    }

    [Fact]
    public async Task A_slow_page_the_user_left_does_not_replace_the_page_they_moved_to()
    {
        var page = await _browser.SignedInPageAsync(_server);
        await CreateNetworkAsync(page, "slow", "10.85.0.0/24");

        // The networks list is held back; meanwhile the user moves on to the keys page.
        var release = new TaskCompletionSource();
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/api/v1/networks", async route =>
        {
            held.TrySetResult();
            await release.Task;
            await route.ContinueAsync();
        });
        await page.EvaluateAsync("location.hash = '#/networks'");
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Assertions.Expect(page.Locator("#view[aria-busy='true']")).ToBeAttachedAsync();
        await ConsoleBrowser.OpenAsync(page, _server, "#/network/slow/keys");

        var finished = page.WaitForRequestFinishedAsync(new() { Predicate = r => r.Url.EndsWith("/api/v1/networks", StringComparison.Ordinal) });
        release.SetResult();
        await finished;
        await page.EvaluateAsync("() => new Promise(r => setTimeout(r, 200))");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "slow: enrollment keys", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Networks", Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#view")).ToHaveAttributeAsync("data-route", "#/network/slow/keys");
        await Assertions.Expect(page.Locator("#view[aria-busy]")).ToHaveCountAsync(0);
    }

    private async Task<string> ApiAsync(string path)
    {
        using var http = ConsoleServer.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Url + path);
        request.Headers.Authorization = new("Bearer", _server.AdminToken);
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex(@"PrivateKey = [A-Za-z0-9+/]{43}=")]
    private static partial Regex ConfigLine();
}
