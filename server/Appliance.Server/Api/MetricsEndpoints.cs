using Appliance.Server.Metrics;
using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>GET /metrics: Prometheus text format 0.0.4, for the admin token, a console session or the read-only scrape token.</summary>
public static class MetricsEndpoints
{
    public const string MetricsPolicy = "metrics";

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (HttpContext http, MetricsService svc, CancellationToken ct) =>
            {
                http.Response.Headers.CacheControl = "no-store";
                return Results.Text(await svc.ScrapeAsync(ct), PrometheusText.ContentType);
            })
            .RequireAuthorization(MetricsPolicy).WithTags("Metrics").Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }
}
