using Appliance.Contracts.Api;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/nodes/{id}/ingress and /api/v1/nodes/{id}/egress (admin): a node's gateway roles.</summary>
public static class GatewayEndpoints
{
    public static RouteGroupBuilder MapGateways(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/nodes/{id}").WithTags("Gateways");
        g.MapPut("/ingress", (string id, IngressRequest body, GatewayService svc, CancellationToken ct) => svc.PutIngressAsync(id, body, ct));
        g.MapDelete("/ingress", async (string id, bool? force, GatewayService svc, CancellationToken ct) =>
        {
            await svc.DeleteIngressAsync(id, force ?? false, ct);
            return TypedResults.NoContent();
        });
        g.MapPut("/egress", (string id, EgressRequest body, GatewayService svc, CancellationToken ct) => svc.PutEgressAsync(id, body, ct));
        g.MapDelete("/egress", async (string id, GatewayService svc, CancellationToken ct) =>
        {
            await svc.DeleteEgressAsync(id, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}
