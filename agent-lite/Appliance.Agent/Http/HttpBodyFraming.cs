namespace Appliance.Agent.Http;

/// <summary>How an answer's body ends (RFC 9112 6.3).</summary>
public enum HttpBodyFraming
{
    /// <summary>No body: 1xx, 204 and 304 answers.</summary>
    None,

    /// <summary>Exactly Content-Length bytes.</summary>
    ContentLength,

    /// <summary>Transfer-Encoding: chunked.</summary>
    Chunked,

    /// <summary>Neither field: the body is everything until the server closes the connection.</summary>
    UntilClose,
}
