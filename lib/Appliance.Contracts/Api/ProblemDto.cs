namespace Appliance.Contracts.Api;

/// <summary>An RFC 9457 problem+json error as the server sends it; <see cref="Errors"/> names the bad fields.</summary>
public sealed record ProblemDto
{
    public string? Type { get; init; }
    public string? Title { get; init; }
    public int? Status { get; init; }
    public string? Detail { get; init; }
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>One line for a terminal: each field error when there are some (the detail repeats them), else the detail or title.</summary>
    public string Describe()
    {
        if (Errors is { Count: > 0 })
        {
            return string.Join("; ", Errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}"));
        }
        return !string.IsNullOrEmpty(Detail) ? Detail : !string.IsNullOrEmpty(Title) ? Title : $"HTTP {Status}";
    }
}
