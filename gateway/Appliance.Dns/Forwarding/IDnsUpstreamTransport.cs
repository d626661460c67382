using System.Net;

namespace Appliance.Dns.Forwarding;

/// <summary>Sends one query to one upstream resolver and returns its response (the I/O seam of the forwarder).</summary>
public interface IDnsUpstreamTransport
{
    /// <summary>Returns the response bytes; throws on timeout or transport failure.</summary>
    Task<byte[]> ExchangeAsync(IPEndPoint upstream, ReadOnlyMemory<byte> query, TimeSpan timeout, CancellationToken cancellationToken);
}
