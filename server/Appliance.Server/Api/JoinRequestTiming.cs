using Appliance.Broker;
using Appliance.Server.Metrics;

namespace Appliance.Server.Api;

/// <summary>
/// Counts each join's request in <see cref="ChangeStage.JoinRequest"/>: from the first middleware to the answer
/// written, the store write inside it included. First in the pipeline, so the rate limiter, authentication, the
/// body's parsing and the answer's writing are in it; Kestrel's TLS record decryption of the request is not.
/// </summary>
public sealed class JoinRequestTiming(RequestDelegate next, ChangeStageCounters stages)
{
    /// <summary>The join route's path (<see cref="NodeEndpoints.MapJoin"/> under <c>/api/v1</c>).</summary>
    public const string JoinPath = "/api/v1/join";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Equals(JoinPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        var started = StageCounter.Start();
        try
        {
            await next(context);
        }
        finally
        {
            stages.Stop(ChangeStage.JoinRequest, started);
        }
    }
}
