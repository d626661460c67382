using Appliance.Server.Services;

namespace Appliance.Server.Api;

/// <summary>/api/v1/activity (admin): the activity log, newest first, in pages (<c>?network=&amp;before=&amp;limit=</c>).</summary>
public static class ActivityEndpoints
{
    public static RouteGroupBuilder MapActivity(this RouteGroupBuilder api)
    {
        api.MapGet("/activity", (string? network, long? before, int? limit, ActivityService svc, CancellationToken ct) =>
                svc.ListAsync(network, before, limit, ct))
            .WithTags("Activity");
        return api;
    }
}
