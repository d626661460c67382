namespace Appliance.Agent.Http;

/// <summary>One HTTP/1.1 request the agent sends: method, origin-form target, the Host header's authority, extra headers, a body.</summary>
/// <param name="Method">An RFC 9110 token such as GET, POST or DELETE.</param>
/// <param name="Target">The origin-form request target: an absolute path with an optional query ("/api/v1/join").</param>
/// <param name="Authority">The Host header: host[:port], an IPv6 literal in brackets.</param>
/// <param name="Headers">Further header fields, in order (Host, Content-Length and Connection are written by the encoder).</param>
/// <param name="Body">The request body, or null for none.</param>
public sealed record HttpRequest(string Method, string Target, string Authority, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body = null);
