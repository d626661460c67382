using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Console.Tests;

/// <summary>
/// Debian's chromium (/usr/bin/chromium, headless) driven by Microsoft.Playwright's own driver (the node runtime the
/// package ships), one browser per test. A missing chromium fails the test: scripts/install-test-deps.sh installs it.
/// Screenshots go to <see cref="ScreenshotDir"/> (TestResults/console-screenshots at the repo root, or
/// $APPLIANCE_SCREENSHOTS).
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static string ScreenshotDir =>
        Environment.GetEnvironmentVariable("APPLIANCE_SCREENSHOTS") is { Length: > 0 } dir ? dir : RepoPaths.Combine("TestResults", "console-screenshots");

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: run scripts/install-test-deps.sh (Debian package 'chromium')");
        }
        // Expect's own default is 5 s; a sign-in (PBKDF2) and a page drawn beside another test's server and chromium on
        // two cores can take longer. Expect returns as soon as its condition holds, so only a failure waits this long.
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        try
        {
            // --no-sandbox: the tests run as root, where chromium refuses its setuid sandbox.
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
            return new ConsoleBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh browser profile (no cookies) that trusts the test server's certificate; confirm() dialogs are accepted.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = new() { Width = width, Height = height }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        page.SetDefaultTimeout(15_000);
        return page;
    }

    /// <summary>Opens the console and signs in as the test account.</summary>
    public async Task<IPage> SignedInPageAsync(ConsoleServer server, int width = 1280, int height = 900)
    {
        var page = await NewPageAsync(width, height);
        await page.GotoAsync(server.Url + "/");
        await page.GetByLabel("Name").FillAsync(ConsoleServer.Admin);
        await page.GetByLabel("Password").FillAsync(ConsoleServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Networks", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#view[data-route]:not([aria-busy])")).ToBeAttachedAsync();
        return page;
    }

    /// <summary>
    /// Opens a signed-in page's route (<paramref name="hash"/>, e.g. <c>#/networks</c>) and waits until the console has
    /// drawn it: opening the page already shown draws it again, and a form filled before that would be thrown away.
    /// </summary>
    public static async Task OpenAsync(IPage page, ConsoleServer server, string hash)
    {
        await page.GotoAsync(server.Url + "/" + hash);
        await Assertions.Expect(page.Locator($"#view[data-route='{hash}']:not([aria-busy])")).ToBeAttachedAsync();
        if (hash.EndsWith("/nodes", StringComparison.Ordinal))
        {
            // The nodes page follows changes through its event stream, which the server subscribes before it answers;
            // a change made before the stream is open is not replayed, so a test waits for it before changing anything.
            await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("Live: following status reports.");
        }
    }

    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = fullPage });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
