using System.Security.Claims;
using System.Text.Encodings.Web;
using Appliance.Server.Api;
using Appliance.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Security;

/// <summary>
/// Authenticates "Authorization: Bearer" with either the admin token (role admin) or a node credential
/// (role node, with the node id as a claim). Both are compared against stored hashes in constant time.
/// </summary>
public sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ServerContext context)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string AdminRole = "admin";
    public const string NodeRole = "node";
    public const string NodeIdClaim = "node_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var token = header["Bearer ".Length..].Trim();
        if (token.StartsWith(Secrets.AdminPrefix, StringComparison.Ordinal) && context.IsAdminToken(token))
        {
            return Success(new Claim(ClaimTypes.Role, AdminRole));
        }
        if (await NodeCredentials.VerifyAsync(context.Store, token, Context.RequestAborted) is { } node)
        {
            return Success(new Claim(ClaimTypes.Role, NodeRole), new Claim(NodeIdClaim, node.Id));
        }
        return AuthenticateResult.Fail("invalid bearer token");
    }

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemMiddleware.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "send 'Authorization: Bearer <token>' with the admin token (see admin.token in the data dir) or a node credential", null);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemMiddleware.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "this credential may not use this route", null);
}
