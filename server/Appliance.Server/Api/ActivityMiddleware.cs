using System.Security.Claims;
using Appliance.Server.Domain;
using Appliance.Server.Security;

namespace Appliance.Server.Api;

/// <summary>
/// Names the actor of every request that may change state (not GET, HEAD or OPTIONS) for the activity log: an
/// <see cref="ActivityScope"/> around the rest of the pipeline, which the store reads when the request's write commits.
/// The actor is a console account, the CLI or another holder of the admin token, or a node (a joining node is named by
/// the join itself). Never a credential: only names and ids.
/// </summary>
public sealed class ActivityMiddleware(RequestDelegate next)
{
    /// <summary>The User-Agent the admin CLI sends (<c>Cli/AdminClient</c>).</summary>
    public const string CliUserAgentPrefix = "appliance-server-cli/";

    public async Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
        {
            await next(context);
            return;
        }
        var (kind, actor) = ActorOf(context.User, context.Request.Headers.UserAgent.ToString());
        using (ActivityScope.Begin(kind, actor, $"{method} {context.Request.PathBase}{context.Request.Path}"))
        {
            await next(context);
        }
    }

    /// <summary>Who a request's principal is, for the log.</summary>
    public static (ActivityActorKind Kind, string Actor) ActorOf(ClaimsPrincipal user, string userAgent)
    {
        if (user.FindFirst(ConsoleCookieHandler.AccountClaim)?.Value is { } account)
        {
            return (ActivityActorKind.Console, account);
        }
        if (user.IsInRole(BearerAuthenticationHandler.AdminRole))
        {
            return userAgent.StartsWith(CliUserAgentPrefix, StringComparison.Ordinal)
                ? (ActivityActorKind.Cli, "admin token")
                : (ActivityActorKind.Token, "admin token");
        }
        if (user.FindFirst(BearerAuthenticationHandler.NodeIdClaim)?.Value is { } node)
        {
            return (ActivityActorKind.Node, node);
        }
        // Anonymous: only a join writes, and it names its node.
        return (ActivityActorKind.Node, "(joining)");
    }
}
