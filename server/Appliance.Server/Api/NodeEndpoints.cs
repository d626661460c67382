using System.Security.Claims;
using Appliance.Contracts.Api;
using Appliance.Server.Security;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/nodes (admin), /api/v1/join (anonymous, needs an enrollment key), /api/v1/node/* (the node itself).</summary>
public static class NodeEndpoints
{
    public const string NodePolicy = "node";

    public static RouteGroupBuilder MapNodes(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/nodes").WithTags("Nodes");
        g.MapGet("/", (NodeService svc, CancellationToken ct) => svc.ListAllAsync(ct));
        g.MapGet("/{id}", (string id, NodeService svc, CancellationToken ct) => svc.GetAsync(id, ct));
        g.MapGet("/{id}/transfer", (string id, NodeService svc, CancellationToken ct) => svc.GetTransferAsync(id, ct));
        g.MapPatch("/{id}", (string id, UpdateNodeRequest body, NodeService svc, CancellationToken ct) => svc.UpdateAsync(id, body, ct));
        // Blink the node's status LED (a signed command over its MQTT channel); the body { "seconds": N } is optional.
        g.MapPost("/{id}/identify", async (string id, IdentifyRequest? body, NodeService svc, CancellationToken ct) =>
            TypedResults.Accepted((string?)null, await svc.IdentifyAsync(id, body, ct)));
        g.MapDelete("/{id}", async (string id, NodeService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(id, ct);
            return TypedResults.NoContent();
        });
        return api;
    }

    /// <summary>The rate-limiter policy of the join route (<see cref="Security.RateLimitSettings.JoinsPerMinute"/> per source address).</summary>
    public const string JoinRateLimitPolicy = "join";

    public static RouteGroupBuilder MapJoin(this RouteGroupBuilder api)
    {
        api.MapPost("/join", (JoinRequest body, JoinService svc, CancellationToken ct) => svc.JoinAsync(body, ct))
            .WithTags("Join")
            .AllowAnonymous()
            .WithMetadata(new RequestBodyLimits.Limit(RequestBodyLimits.Join))
            .RequireRateLimiting(JoinRateLimitPolicy);
        return api;
    }

    public static RouteGroupBuilder MapNodeSelf(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/node").WithTags("Node (self)").RequireAuthorization(NodePolicy);
        g.MapGet("/config", async (ClaimsPrincipal user, NodeService svc, CancellationToken ct) =>
        {
            var nodeId = user.FindFirstValue(BearerAuthenticationHandler.NodeIdClaim)!;
            await svc.TouchAsync(nodeId, ct);
            return await svc.GetConfigAsync(nodeId, ct);
        });
        // `appliance-agent leave`: a node removes itself.
        g.MapDelete("/", async (ClaimsPrincipal user, NodeService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(user.FindFirstValue(BearerAuthenticationHandler.NodeIdClaim)!, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}
