using Appliance.WireGuard.Uapi;

namespace Appliance.TestSupport;

/// <summary>Wraps a transport and counts get/set requests, to prove an unchanged state sends nothing.</summary>
public sealed class CountingUapiTransport : IUapiTransport
{
    private readonly IUapiTransport _inner;

    public CountingUapiTransport(IUapiTransport inner)
    {
        _inner = inner;
    }

    public int GetRequests { get; private set; }

    public int SetRequests { get; private set; }

    public Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        if (request.Span.StartsWith("set=1"u8))
        {
            SetRequests++;
        }
        else
        {
            GetRequests++;
        }
        return _inner.ExchangeAsync(interfaceName, request, cancellationToken);
    }
}
