using Appliance.Contracts.Api;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/networks/{name}/dns (admin): custom entries in the network's zone.</summary>
public static class DnsEntryEndpoints
{
    public static RouteGroupBuilder MapDnsEntries(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/networks/{name}/dns").WithTags("DNS");
        g.MapGet("/", (string name, DnsEntryService svc, CancellationToken ct) => svc.ListAsync(name, ct));
        g.MapPost("/", async (string name, CreateDnsEntryRequest body, DnsEntryService svc, CancellationToken ct) =>
        {
            var created = await svc.CreateAsync(name, body, ct);
            return TypedResults.Created($"/api/v1/networks/{name}/dns/{created.Id}", created);
        });
        g.MapDelete("/{id}", async (string name, string id, DnsEntryService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(name, id, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}
