using Appliance.Contracts.Api;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/networks (admin).</summary>
public static class NetworkEndpoints
{
    public static RouteGroupBuilder MapNetworks(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/networks").WithTags("Networks");
        g.MapGet("/", (NetworkService svc, CancellationToken ct) => svc.ListAsync(ct));
        g.MapPost("/", async (CreateNetworkRequest body, NetworkService svc, CancellationToken ct) =>
        {
            var created = await svc.CreateAsync(body, ct);
            return TypedResults.Created($"/api/v1/networks/{created.Name}", created);
        });
        g.MapGet("/{name}", (string name, NetworkService svc, CancellationToken ct) => svc.GetAsync(name, ct));
        g.MapPatch("/{name}", (string name, UpdateNetworkRequest body, NetworkService svc, CancellationToken ct) => svc.UpdateAsync(name, body, ct));
        g.MapDelete("/{name}", async (string name, bool? force, NetworkService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(name, force ?? false, ct);
            return TypedResults.NoContent();
        });
        g.MapGet("/{name}/nodes", (string name, NodeService svc, CancellationToken ct) => svc.ListAsync(name, ct)).WithTags("Nodes");
        return api;
    }
}
