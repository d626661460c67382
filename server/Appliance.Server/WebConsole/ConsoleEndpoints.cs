using System.Security.Cryptography;
using System.Text;
using Appliance.Server.Api;
using Appliance.Server.Configuration;
using Appliance.Server.Domain;
using Appliance.Server.Security;
using Appliance.Server.Services;
using Microsoft.AspNetCore.Authentication;

namespace Appliance.Server.WebConsole;

/// <summary>
/// The web console: its pages and files at <c>/</c>, <c>/login</c> and <c>/console/*</c>, sign-in and sign-out, the
/// session's CSRF token, a QR code of a text the page shows, and the live node status stream. Every change the pages
/// make goes through the JSON API (<c>/api/v1</c>) with the session cookie and the CSRF header
/// (<see cref="ConsoleCsrfMiddleware"/>).
/// </summary>
public static class ConsoleEndpoints
{
    public const string CsrfHeader = "X-CSRF-Token";
    public const string LoginCookie = "appliance-login";
    private const string LoginTokenPlaceholder = "{{login-token}}";

    /// <summary>The longest text the QR route encodes (a join token is ~250 characters, a wg-quick file ~400).</summary>
    public const int MaxQrText = 2048;

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app, string adminPolicy)
    {
        app.MapGet("/", async (HttpContext http, ConsoleAssets assets) =>
        {
            var auth = await http.AuthenticateAsync(ConsoleCookieHandler.SchemeName);
            if (!auth.Succeeded)
            {
                return Results.Redirect("/login");
            }
            Page(http);
            return Asset(http, assets.Get("index.html"));
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/login", (HttpContext http, ConsoleAssets assets) =>
        {
            // Login CSRF: the form's token must match this HttpOnly cookie, which another site can neither read nor set.
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            http.Response.Cookies.Append(LoginCookie, token, new CookieOptions
            {
                HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/console/sign-in", MaxAge = TimeSpan.FromHours(1),
            });
            Page(http);
            var html = Encoding.UTF8.GetString(assets.Get("login.html").Bytes).Replace(LoginTokenPlaceholder, token, StringComparison.Ordinal);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Content(html, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/console/{file}", (string file, HttpContext http, ConsoleAssets assets) =>
                file.EndsWith(".html", StringComparison.Ordinal) || !assets.TryGet(file, out var asset) ? Results.NotFound() : Asset(http, asset))
            .AllowAnonymous().ExcludeFromDescription();

        app.MapPost("/console/sign-in", SignInAsync).AllowAnonymous().ExcludeFromDescription();

        var console = app.MapGroup("/console").RequireAuthorization(adminPolicy).ExcludeFromDescription();
        console.MapPost("/sign-out", (HttpContext http, ConsoleSessions sessions) =>
        {
            if (http.Items[ConsoleCookieHandler.SessionItem] is ConsoleSession session)
            {
                sessions.Revoke(session.Id);
            }
            http.Response.Cookies.Delete(ConsoleCookieHandler.CookieNameFor(http.Request.IsHttps), SessionCookie(http));
            return TypedResults.NoContent();
        });
        console.MapGet("/session", (HttpContext http, ServerOptions options) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            var session = http.Items[ConsoleCookieHandler.SessionItem] as ConsoleSession;
            return TypedResults.Ok(new ConsoleSessionDto(session?.Account, session?.CsrfToken, (int)options.OfflineAfter.TotalSeconds));
        });
        console.MapPost("/qr", (QrRequest body) =>
        {
            if (string.IsNullOrEmpty(body.Text) || body.Text.Length > MaxQrText)
            {
                throw DomainException.Invalid("text", $"must be 1-{MaxQrText} characters");
            }
            return Results.Text(QrCode.Svg(body.Text), "image/svg+xml");
        });
        console.MapGet("/events/{network}", ConsoleEventStream.RunAsync);
        return app;
    }

    private static async Task<IResult> SignInAsync(SignInRequest body, HttpContext http, AdminAccountService accounts, SignInLimiter limiter,
        ConsoleSessions sessions, CancellationToken ct)
    {
        if (!http.Request.Cookies.TryGetValue(LoginCookie, out var expected) || body.LoginToken is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(body.LoginToken)))
        {
            throw DomainException.Forbidden("the sign-in form is stale or was not sent by this server's page: reload the page");
        }
        var name = body.Name?.Trim() ?? "";
        var source = http.Connection.RemoteIpAddress;
        if (name.Length == 0 || string.IsNullOrEmpty(body.Password))
        {
            var errors = new ValidationErrors();
            if (name.Length == 0)
            {
                errors.Add("name", "is required");
            }
            if (string.IsNullOrEmpty(body.Password))
            {
                errors.Add("password", "is required");
            }
            errors.ThrowIfAny();
        }
        if (limiter.Check(name, source) is { } locked)
        {
            await TooManyRequests.WriteAsync(http, locked.RetryAfter, locked.Message);
            return Results.Empty;
        }
        if (!await accounts.VerifyAsync(name, body.Password!, ct))
        {
            limiter.Failed(name, source);
            if (limiter.Check(name, source) is { } nowLocked)
            {
                await TooManyRequests.WriteAsync(http, nowLocked.RetryAfter, nowLocked.Message);
                return Results.Empty;
            }
            // One answer for an unknown name and a wrong password: the form does not tell which names exist.
            await ProblemMiddleware.WriteAsync(http, StatusCodes.Status401Unauthorized, "Unauthorized", "wrong name or password",
                new Dictionary<string, string[]> { ["password"] = ["wrong name or password"] });
            return Results.Empty;
        }
        limiter.Succeeded(name, source);
        var session = sessions.Create(name);
        http.Response.Cookies.Append(ConsoleCookieHandler.CookieNameFor(http.Request.IsHttps), session.Id, SessionCookie(http));
        http.Response.Cookies.Delete(LoginCookie, new CookieOptions { Path = "/console/sign-in" });
        return TypedResults.Ok(new ConsoleSessionDto(name, session.CsrfToken, 0));
    }

    /// <summary>HttpOnly, Secure (on https), SameSite=Strict, host-only, for the session's whole lifetime at most.</summary>
    private static CookieOptions SessionCookie(HttpContext http) => new()
    {
        HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/", MaxAge = ConsoleSessions.Lifetime, IsEssential = true,
    };

    /// <summary>The headers every console page carries: its own files only, no framing, no referrer.</summary>
    private static void Page(HttpContext http)
    {
        var h = http.Response.Headers;
        h.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        h.XFrameOptions = "DENY";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
    }

    private static IResult Asset(HttpContext http, ConsoleAsset asset)
    {
        http.Response.Headers.ETag = asset.ETag;
        http.Response.Headers.CacheControl = asset.Name.EndsWith(".html", StringComparison.Ordinal) ? "no-cache" : "public, max-age=300";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }
}
