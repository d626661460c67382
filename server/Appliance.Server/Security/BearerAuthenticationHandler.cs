using System.Security.Claims;
using System.Text.Encodings.Web;
using Appliance.Server.Api;
using Appliance.Server.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Security;

/// <summary>
/// Authenticates "Authorization: Bearer" with either the admin token (role admin) or a node credential
/// (role node, with the node id as a claim), or the scrape token (role metrics: GET /metrics only). Each is compared against stored hashes in constant time.
/// Failures count per source address (<see cref="AuthFailureLimiter"/>): past the limit a bad token gets 429 with
/// Retry-After, and the store is no longer asked about that address's tokens; the admin token is always accepted.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AdminToken adminToken,
    IApplianceStore store,
    AuthFailureLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string AdminRole = "admin";
    public const string NodeRole = "node";
    public const string MetricsRole = "metrics";
    public const string NodeIdClaim = "node_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var token = header["Bearer ".Length..].Trim();
        if (token.StartsWith(Secrets.AdminPrefix, StringComparison.Ordinal) && adminToken.Matches(token))
        {
            return Success(new Claim(ClaimTypes.Role, AdminRole));
        }
        var source = Context.Connection.RemoteIpAddress;
        if (failures.IsBlocked(source, out var retryAfter))
        {
            // Checked before the store lookup: a source guessing credentials costs no more queries.
            return TooManyFailures(retryAfter);
        }
        if (token.StartsWith(Secrets.MetricsPrefix, StringComparison.Ordinal) && await MetricsToken.MatchesAsync(store, token, Context.RequestAborted))
        {
            return Success(new Claim(ClaimTypes.Role, MetricsRole));
        }
        if (await NodeCredentials.VerifyAsync(store, token, Context.RequestAborted) is { } node)
        {
            return Success(new Claim(ClaimTypes.Role, NodeRole), new Claim(NodeIdClaim, node.Id));
        }
        return failures.TryRecordFailure(source, out retryAfter) ? AuthenticateResult.Fail("invalid bearer token") : TooManyFailures(retryAfter);
    }

    private AuthenticateResult TooManyFailures(TimeSpan retryAfter)
    {
        Context.Items[RetryAfterItem] = retryAfter;
        return AuthenticateResult.Fail("too many failed authentications from this address");
    }

    // Set on the request when its failure was over the limit: the challenge answers 429 instead of 401.
    private const string RetryAfterItem = "appliance.auth-retry-after";

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterItem] is TimeSpan retryAfter)
        {
            return TooManyRequests.WriteAsync(Context, retryAfter, "too many failed authentications from this address");
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemMiddleware.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "send 'Authorization: Bearer <token>' with the admin token (see admin.token in the data dir) or a node credential", null);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemMiddleware.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "this credential may not use this route", null);
}
