using System.Text.Json;
using Appliance.Server.Domain;
using Appliance.Server.Ipam;
using Microsoft.AspNetCore.WebUtilities;

namespace Appliance.Server.Api;

/// <summary>Turns refused requests (<see cref="DomainException"/>, bad bodies) into RFC 9457 problem+json; unexpected failures become a 500 without internals.</summary>
public sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            // Refusals the framework writes empty (routing's 404 and 405, a bare status result) get a problem body
            // too, so every error a client sees is problem+json.
            if (context.Response is { HasStarted: false, StatusCode: >= 400, ContentType: null, ContentLength: null or 0 })
            {
                var status = context.Response.StatusCode;
                var allow = context.Response.Headers.Allow; // a 405 keeps naming the methods the route takes
                await WriteAsync(context, status, ReasonPhrases.GetReasonPhrase(status), EmptyDetail(context, status), null, allow);
            }
        }
        catch (DomainException e)
        {
            var (status, title) = StatusOf(e.Kind);
            await WriteAsync(context, status, title, e.Message, e.Errors);
        }
        catch (IpamExhaustedException e)
        {
            await WriteAsync(context, StatusCodes.Status409Conflict, "Address pool exhausted", e.Message, null);
        }
        catch (BadHttpRequestException e)
        {
            var detail = e.InnerException is JsonException je ? "the request body is not valid JSON: " + je.Message : e.Message;
            var title = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Invalid request",
            };
            await WriteAsync(context, e.StatusCode, title, detail, null);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            logger.LogError(e, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal error", "the server failed to handle the request; see its log", null);
        }
    }

    /// <summary>The HTTP status and problem title of a refusal by the server's rules.</summary>
    public static (int Status, string Title) StatusOf(DomainErrorKind kind) => kind switch
    {
        DomainErrorKind.NotFound => (StatusCodes.Status404NotFound, "Not found"),
        DomainErrorKind.Conflict => (StatusCodes.Status409Conflict, "Conflict"),
        DomainErrorKind.Forbidden => (StatusCodes.Status403Forbidden, "Forbidden"),
        _ => (StatusCodes.Status400BadRequest, "Invalid request"),
    };

    private static string EmptyDetail(HttpContext context, int status) => status switch
    {
        StatusCodes.Status404NotFound => $"no route {context.Request.Path}",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Path} does not take {context.Request.Method}",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };

    public static Task WriteAsync(HttpContext context, int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors,
        Microsoft.Extensions.Primitives.StringValues allow = default)
    {
        var connection = context.Response.Headers.Connection;
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = connection;
        if (allow.Count > 0)
        {
            context.Response.Headers.Allow = allow;
        }
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
