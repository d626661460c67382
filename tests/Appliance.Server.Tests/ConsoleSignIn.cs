using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Appliance.Server.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>Signs in to the web console of an in-process server: an account, the sign-in page's token and its cookie.</summary>
public static partial class ConsoleSignIn
{
    public const string Password = "correct-horse-battery";

    /// <summary>A client holding the sign-in page's cookie, and the body that signs in as a new account (made here).</summary>
    public static async Task<(HttpClient Client, object Body)> FormAsync(ServerFactory server, string account = "alice")
    {
        var accounts = server.Services.GetRequiredService<AdminAccountService>();
        if ((await accounts.ListAsync(CancellationToken.None)).All(a => a.Name != account))
        {
            await accounts.AddAsync(account, Password, CancellationToken.None);
        }
        var client = server.CreateClient(new() { HandleCookies = true, AllowAutoRedirect = false });
        var html = await client.GetStringAsync("/login");
        var token = LoginToken().Match(html).Groups[1].Value;
        return (client, new { name = account, password = Password, loginToken = token });
    }

    /// <summary>A client signed in as <paramref name="account"/> and its session's CSRF token.</summary>
    public static async Task<(HttpClient Client, string Csrf)> SignedInAsync(ServerFactory server, string account = "alice")
    {
        var (client, body) = await FormAsync(server, account);
        var response = await client.PostAsJsonAsync("/console/sign-in", body);
        response.EnsureSuccessStatusCode();
        var session = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (client, session.GetProperty("csrfToken").GetString()!);
    }

    [GeneratedRegex("name=\"login-token\" content=\"([0-9a-f]+)\"")]
    private static partial Regex LoginToken();
}
