namespace Appliance.Agent.Http;

/// <summary>A complete HTTP answer: status, reason phrase, header fields in order, and the (de-chunked) body.</summary>
public sealed record HttpResponse(int StatusCode, string ReasonPhrase, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public bool IsSuccess => StatusCode is >= 200 and <= 299;

    /// <summary>The first field named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }
}
