namespace Appliance.Agent.Http;

/// <summary>Opens the byte stream one request goes over: TCP, and TLS for https (tests pass a fake).</summary>
public interface IHttpConnector
{
    /// <summary>A connected (and for https, authenticated) stream to <paramref name="server"/>'s host and port; the caller disposes it.</summary>
    ValueTask<Stream> ConnectAsync(Uri server, CancellationToken ct);
}
