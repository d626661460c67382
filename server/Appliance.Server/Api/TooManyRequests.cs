using System.Globalization;

namespace Appliance.Server.Api;

/// <summary>The answer to a source over a rate limit: 429 problem+json with Retry-After (RFC 9110 section 10.2.3, in whole seconds).</summary>
public static class TooManyRequests
{
    public static Task WriteAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        // Set when the response starts: writing the problem clears the headers first.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        return ProblemMiddleware.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests", $"{detail}; retry after {seconds} s", null);
    }
}
