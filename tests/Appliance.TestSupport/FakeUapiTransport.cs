using System.Text;
using Appliance.WireGuard.Uapi;

namespace Appliance.TestSupport;

/// <summary>A UAPI transport answering from a function; records requests as text.</summary>
public sealed class FakeUapiTransport(Func<string, string> respond) : IUapiTransport
{
    public List<string> Requests { get; } = [];

    public Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        var text = Encoding.UTF8.GetString(request.Span);
        Requests.Add(text);
        return Task.FromResult(respond(text));
    }
}
