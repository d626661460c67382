using Appliance.Contracts.Api;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/enrollment-keys (admin).</summary>
public static class EnrollmentKeyEndpoints
{
    public static RouteGroupBuilder MapEnrollmentKeys(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/enrollment-keys").WithTags("Enrollment keys");
        g.MapGet("/", (EnrollmentKeyService svc, CancellationToken ct) => svc.ListAsync(ct));
        g.MapPost("/", async (CreateEnrollmentKeyRequest body, EnrollmentKeyService svc, CancellationToken ct) =>
        {
            var created = await svc.CreateAsync(body, ct);
            return TypedResults.Created($"/api/v1/enrollment-keys/{created.Id}", created);
        });
        g.MapDelete("/{id}", async (string id, EnrollmentKeyService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(id, ct);
            return TypedResults.NoContent();
        });
        return api;
    }
}
