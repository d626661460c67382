namespace Appliance.Server.Api;

/// <summary>
/// A request the server refuses, turned into problem+json by <see cref="ProblemMiddleware"/>.
/// <see cref="Errors"/> names the bad fields (RFC 9457 extension, as ASP.NET's validation problems do).
/// </summary>
public sealed class ApiException(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    public static ApiException Invalid(string field, string message) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static ApiException Conflict(string field, string message) =>
        new(StatusCodes.Status409Conflict, "Conflict", $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static ApiException Conflict(string message) => new(StatusCodes.Status409Conflict, "Conflict", message);

    public static ApiException NotFound(string what) => new(StatusCodes.Status404NotFound, "Not found", what + " not found");

    public static ApiException Forbidden(string message) => new(StatusCodes.Status403Forbidden, "Forbidden", message);
}
