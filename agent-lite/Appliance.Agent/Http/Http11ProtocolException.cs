namespace Appliance.Agent.Http;

/// <summary>A request that cannot be written, or an answer that breaks HTTP/1.1 or one of <see cref="HttpLimits"/>; the message names what.</summary>
public sealed class Http11ProtocolException(string message) : Exception(message);
