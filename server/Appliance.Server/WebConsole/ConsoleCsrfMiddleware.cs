using System.Security.Cryptography;
using System.Text;
using Appliance.Server.Api;
using Appliance.Server.Security;

namespace Appliance.Server.WebConsole;

/// <summary>
/// CSRF protection for everything the console's session cookie authorizes: a request that changes state (not GET,
/// HEAD or OPTIONS) and is authenticated only by the cookie must carry the session's token in
/// <see cref="ConsoleEndpoints.CsrfHeader"/>, and an <c>Origin</c> header, when sent, must be this server. Another site
/// can neither read the token nor set the header without a CORS preflight this server never grants; the SameSite=Strict
/// cookie is the second line. Bearer-token callers (the CLI, scripts) are not affected.
/// </summary>
public sealed class ConsoleCsrfMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method)
            || context.Items[ConsoleCookieHandler.SessionItem] is not ConsoleSession session
            || context.User.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == BearerAuthenticationHandler.SchemeName))
        {
            return next(context);
        }
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return ProblemMiddleware.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                $"a request from {origin} may not use this server's console session", null);
        }
        var sent = context.Request.Headers[ConsoleEndpoints.CsrfHeader].ToString();
        if (sent.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(session.CsrfToken)))
        {
            return ProblemMiddleware.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                $"the console's CSRF token is missing or wrong (send {ConsoleEndpoints.CsrfHeader}; reload the page to get a new one)", null);
        }
        return next(context);
    }
}
