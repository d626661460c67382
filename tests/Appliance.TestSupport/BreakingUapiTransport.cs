using System.Net.Sockets;
using Appliance.WireGuard.Uapi;

namespace Appliance.TestSupport;

/// <summary>
/// A real UAPI transport that, once armed, breaks the next <c>set=1</c> request mid-way: it sends only the lines in
/// the first half of the request to the device, closes its side (wireguard-go applies what it parsed up to EOF and
/// answers), then throws <see cref="IOException"/> as a reset connection would. Every other request passes through.
/// </summary>
public sealed class BreakingUapiTransport : IUapiTransport
{
    private readonly UapiSocketTransport _inner;

    public BreakingUapiTransport(UapiSocketTransport inner)
    {
        _inner = inner;
    }

    /// <summary>Arms the next set request to break; the callback runs after the prefix took effect, before the throw.</summary>
    public Func<Task>? BreakNextSet { get; set; }

    public int PrefixBytesSent { get; private set; }

    public async Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        var afterPrefix = BreakNextSet;
        if (afterPrefix is null || !request.Span.StartsWith("set=1\n"u8))
        {
            return await _inner.ExchangeAsync(interfaceName, request, cancellationToken);
        }
        BreakNextSet = null;
        int cut = request.Span[..(request.Length / 2)].LastIndexOf((byte)'\n') + 1;
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_inner.SocketPath(interfaceName)), cancellationToken);
            await socket.SendAsync(request[..cut], SocketFlags.None, cancellationToken);
            socket.Shutdown(SocketShutdown.Send);
            // Wait for wireguard-go's answer to the prefix, so it has applied it before we report the failure.
            var buffer = new byte[4096];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
            {
            }
        }
        PrefixBytesSent = cut;
        await afterPrefix();
        throw new IOException($"test: UAPI connection broken after {cut} of {request.Length} bytes");
    }
}
