using Appliance.Contracts.Api;
using Appliance.Server.Domain;
using Appliance.Server.Services;
using Microsoft.Net.Http.Headers;

namespace Appliance.Server.Api;

/// <summary>/api/v1/networks/{name}/ext-clients and /api/v1/ext-clients/{id} (admin): plain WireGuard clients of an ingress gateway.</summary>
public static class ExtClientEndpoints
{
    public static RouteGroupBuilder MapExtClients(this RouteGroupBuilder api)
    {
        var byNetwork = api.MapGroup("/networks/{name}/ext-clients").WithTags("Ext clients");
        byNetwork.MapGet("/", (string name, ExtClientService svc, CancellationToken ct) => svc.ListAsync(name, ct));
        byNetwork.MapPost("/", async (string name, CreateExtClientRequest body, ExtClientService svc, CancellationToken ct) =>
        {
            var created = await svc.CreateAsync(name, body, ct);
            return TypedResults.Created($"/api/v1/ext-clients/{created.Id}", created);
        });

        var g = api.MapGroup("/ext-clients/{id}").WithTags("Ext clients");
        g.MapGet("/", (string id, ExtClientService svc, CancellationToken ct) => svc.GetAsync(id, ct));
        g.MapGet("/transfer", (string id, ExtClientService svc, CancellationToken ct) => svc.GetTransferAsync(id, ct));
        g.MapPatch("/", (string id, UpdateExtClientRequest body, ExtClientService svc, CancellationToken ct) => svc.UpdateAsync(id, body, ct));
        g.MapDelete("/", async (string id, ExtClientService svc, CancellationToken ct) =>
        {
            await svc.DeleteAsync(id, ct);
            return TypedResults.NoContent();
        });
        g.MapGet("/config", async (string id, HttpContext http, ExtClientService svc, CancellationToken ct) =>
        {
            var (fileName, text) = await svc.ConfigAsync(id, ct);
            Attach(http, fileName);
            return TypedResults.Text(text, "text/plain; charset=utf-8");
        }).Produces<string>(StatusCodes.Status200OK, "text/plain");
        g.MapGet("/qr", async (string id, string? format, HttpContext http, ExtClientService svc, CancellationToken ct) =>
        {
            if (format is not (null or "png" or "svg"))
            {
                throw DomainException.Invalid("format", "must be png (the default) or svg");
            }
            var (fileName, text) = await svc.ConfigAsync(id, ct);
            var stem = Path.GetFileNameWithoutExtension(fileName);
            if (format == "svg")
            {
                Attach(http, stem + ".svg", inline: true);
                return Results.Text(QrCode.Svg(text), "image/svg+xml");
            }
            Attach(http, stem + ".png", inline: true);
            return Results.Bytes(QrCode.Png(text), "image/png");
        }).Produces(StatusCodes.Status200OK, contentType: "image/png", additionalContentTypes: ["image/svg+xml"]);
        return api;
    }

    private static void Attach(HttpContext http, string fileName, bool inline = false) =>
        http.Response.Headers[HeaderNames.ContentDisposition] =
            new ContentDispositionHeaderValue(inline ? "inline" : "attachment") { FileName = fileName }.ToString();
}
