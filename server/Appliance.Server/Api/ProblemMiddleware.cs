using System.Text.Json;
using Appliance.Server.Ipam;

namespace Appliance.Server.Api;

/// <summary>Turns refused requests into RFC 9457 problem+json; unexpected failures become a 500 without internals.</summary>
public sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ApiException e)
        {
            await WriteAsync(context, e.Status, e.Title, e.Message, e.Errors);
        }
        catch (IpamExhaustedException e)
        {
            await WriteAsync(context, StatusCodes.Status409Conflict, "Address pool exhausted", e.Message, null);
        }
        catch (BadHttpRequestException e)
        {
            var detail = e.InnerException is JsonException je ? "the request body is not valid JSON: " + je.Message : e.Message;
            await WriteAsync(context, e.StatusCode, "Invalid request", detail, null);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            logger.LogError(e, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal error", "the server failed to handle the request; see its log", null);
        }
    }

    public static Task WriteAsync(HttpContext context, int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
        };
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }
        return context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json");
    }
}
