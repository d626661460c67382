using System.Security.Claims;
using System.Text.Encodings.Web;
using Appliance.Server.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Security;

/// <summary>
/// Authenticates the web console's session cookie as the admin role. The session must be live
/// (<see cref="ConsoleSessions"/>) and its account must still exist with the password it signed in with (the CLI's
/// <c>admin remove</c> and <c>admin passwd</c> end every session of the account, even from another process). The CSRF
/// check of state-changing requests is <c>WebConsole/ConsoleCsrfMiddleware</c>'s. This scheme never challenges: a
/// request without a credential gets the bearer scheme's 401.
/// </summary>
public sealed class ConsoleCookieHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ConsoleSessions sessions,
    IApplianceStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Console";

    /// <summary>__Host-: the browser keeps it only when Secure, Path=/ and without Domain (no subdomain can set it).</summary>
    public const string CookieName = "__Host-appliance-session";

    /// <summary>The cookie's name on a plain-http server (test loopback), where a __Host- cookie cannot be set.</summary>
    public const string PlainCookieName = "appliance-session";

    public const string SessionIdClaim = "console_session";
    public const string AccountClaim = "console_account";

    /// <summary>The session a request's cookie names (null when none); set on <c>HttpContext.Items</c> by a successful authentication.</summary>
    public const string SessionItem = "appliance.console-session";

    public static string CookieNameFor(bool https) => https ? CookieName : PlainCookieName;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(CookieNameFor(Request.IsHttps), out var id))
        {
            return AuthenticateResult.NoResult();
        }
        if (sessions.Find(id) is not { } session)
        {
            return AuthenticateResult.Fail("the console session has ended");
        }
        var account = await store.ReadAsync(s => s.FindAdminAccount(session.Account), Context.RequestAborted);
        if (account is null || account.PasswordChangedAt > session.CreatedAt)
        {
            sessions.Revoke(session.Id);
            return AuthenticateResult.Fail("the console account was removed or its password changed");
        }
        Context.Items[SessionItem] = session;
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Role, BearerAuthenticationHandler.AdminRole), new Claim(AccountClaim, session.Account), new Claim(SessionIdClaim, session.Id)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    // The bearer scheme answers 401/403 with its problem+json; this one adds nothing to the response.
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => Task.CompletedTask;

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => Task.CompletedTask;
}
