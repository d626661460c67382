using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/signing-key (admin) and /api/v1/node/signing-keys (the node itself).</summary>
public static class SigningKeyEndpoints
{
    public static RouteGroupBuilder MapSigningKey(this RouteGroupBuilder adminApi)
    {
        var g = adminApi.MapGroup("/signing-key").WithTags("Signing key");
        g.MapGet("/", (SigningKeyService svc) => svc.Current());
        // A new key, announced to every node signed by the old one; the old key signs nothing after this.
        g.MapPost("/rotate", (SigningKeyService svc, CancellationToken ct) => svc.RotateAsync(ct));
        return adminApi;
    }

    public static RouteGroupBuilder MapNodeSigningKeys(this RouteGroupBuilder api)
    {
        // Over the node's pinned HTTPS: how a node that missed rotations (offline, or its session lost) catches up.
        api.MapGroup("/node").WithTags("Node (self)").RequireAuthorization(NodeEndpoints.NodePolicy)
            .MapGet("/signing-keys", (SigningKeyService svc, CancellationToken ct) => svc.ChainAsync(ct));
        return api;
    }
}
