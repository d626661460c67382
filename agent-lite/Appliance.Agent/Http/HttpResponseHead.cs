namespace Appliance.Agent.Http;

/// <summary>An answer's status line and header fields, and how its body is framed.</summary>
public sealed record HttpResponseHead(int StatusCode, string ReasonPhrase, IReadOnlyList<KeyValuePair<string, string>> Headers, HttpBodyFraming Framing, long ContentLength);
