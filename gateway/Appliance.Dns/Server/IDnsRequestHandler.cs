namespace Appliance.Dns.Server;

/// <summary>
/// The query-handler seam: writes the complete response for one request into <c>response</c> and returns its
/// length, or 0 to send nothing. The server, not the handler, truncates UDP answers to the client's limit.
/// </summary>
public interface IDnsRequestHandler
{
    ValueTask<int> HandleAsync(DnsRequest request, Memory<byte> response, CancellationToken cancellationToken);
}
