using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Appliance.Server.Api;

/// <summary>
/// Per-route request body limits, enforced before anything reads the body: a declared Content-Length over the route's
/// limit gets 413 at once (the body is never read), and Kestrel's <see cref="IHttpMaxRequestBodySizeFeature"/> is set
/// to the same limit so a chunked body is cut off there too. The limits:
/// <list type="bullet">
/// <item>POST /api/v1/join (anonymous): <see cref="Join"/>, 16 KiB; the largest valid join (every field at its
/// bound, every character JSON-escaped) is under 12 KiB.</item>
/// <item>every other route that takes a JSON body (admin routes): <see cref="Json"/>, 64 KiB.</item>
/// <item>routes that take no body (GET, DELETE): <see cref="NoBody"/>, 0.</item>
/// <item>requests no route takes (routing's 404, 405, 415): <see cref="Json"/>, 64 KiB.</item>
/// </list>
/// A route can name its own with <see cref="Limit"/> metadata. It runs after authorization: a caller without the
/// route's credential gets 401/403 whatever its body (Kestrel's server-wide limit, the same 64 KiB, bounds what is
/// drained of it); the anonymous join meets the limit first.
/// </summary>
public sealed class RequestBodyLimits(RequestDelegate next)
{
    public const long Join = 16 * 1024;
    public const long Json = 64 * 1024;
    public const long NoBody = 0;

    /// <summary>Endpoint metadata naming a route's limit; ASP.NET's routing applies it to Kestrel as well.</summary>
    public sealed class Limit(long maxRequestBodySize) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize { get; } = maxRequestBodySize;
    }

    /// <summary>
    /// The limit of the route a request matched: its own metadata, else by whether it takes a body. Routing's own
    /// refusals (the 405 and 415 endpoints, which are no <see cref="RouteEndpoint"/>) get <see cref="Json"/>, so a
    /// small body of the wrong type still learns it is the wrong type.
    /// </summary>
    public static long For(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize
        ?? (endpoint is RouteEndpoint && endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is null ? NoBody : Json);

    public Task InvokeAsync(HttpContext context)
    {
        var limit = For(context.GetEndpoint());
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
        if (context.Request.ContentLength is { } length && length > limit)
        {
            // Answer without reading, and close: draining megabytes to keep the connection alive is what a limit avoids.
            context.Response.Headers.Connection = "close";
            return ProblemMiddleware.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                limit == NoBody ? $"{context.Request.Method} {context.Request.Path} takes no request body"
                    : $"the request body is {length} bytes; {context.Request.Method} {context.Request.Path} takes at most {limit}", null);
        }
        return next(context);
    }
}
