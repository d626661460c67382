using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/nodes/{id}/relay (admin): a node that forwards between peers that cannot meet directly (issue #18).</summary>
public static class RelayEndpoints
{
    public static RouteGroupBuilder MapRelays(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/nodes/{id}").WithTags("Relays");
        g.MapPut("/relay", (string id, NodeService svc, CancellationToken ct) => svc.SetRelayAsync(id, true, ct));
        g.MapDelete("/relay", async (string id, NodeService svc, CancellationToken ct) =>
        {
            await svc.SetRelayAsync(id, false, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}
