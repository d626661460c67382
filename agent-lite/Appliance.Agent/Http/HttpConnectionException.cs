namespace Appliance.Agent.Http;

/// <summary>The server could not be reached, the TLS handshake failed, the connection broke, or the request timed out.</summary>
public sealed class HttpConnectionException(string message, Exception? inner = null) : Exception(message, inner);
