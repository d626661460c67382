using System.Text;
using Appliance.Contracts.Api;
using Appliance.Server.Domain.Policy;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>
/// /api/v1/networks/{name}/policy (admin): the network's access policy. PUT and the test route take the document as
/// sent (JSON with comments and trailing commas, kept as written for GET), up to <see cref="AccessPolicyParser.MaxDocumentBytes"/>.
/// </summary>
public static class PolicyEndpoints
{
    public static RouteGroupBuilder MapPolicies(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/networks/{name}/policy").WithTags("Policies");
        g.MapGet("/", (string name, PolicyService svc, CancellationToken ct) => svc.GetAsync(name, ct));
        g.MapPut("/", async (string name, HttpRequest request, PolicyService svc, CancellationToken ct) =>
                await svc.SetAsync(name, await ReadTextAsync(request, ct), ct))
            .Accepts<string>("application/json", "text/plain")
            .WithMetadata(new RequestBodyLimits.Limit(AccessPolicyParser.MaxDocumentBytes));
        g.MapPost("/test", async (string name, HttpRequest request, PolicyService svc, CancellationToken ct) =>
                await svc.TestAsync(name, await ReadTextAsync(request, ct), ct))
            .Accepts<string>("application/json", "text/plain")
            .WithMetadata(new RequestBodyLimits.Limit(AccessPolicyParser.MaxDocumentBytes));
        g.MapDelete("/", async (string name, PolicyService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(name, ct);
            return TypedResults.NoContent();
        });
        return api;
    }

    // The body as text (UTF-8; invalid bytes become U+FFFD, which the parser then names). The route's limit bounds it.
    private static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
        return await reader.ReadToEndAsync(ct);
    }
}
