using System.Buffers;
using System.Net.Sockets;
using System.Text;

namespace Appliance.WireGuard.Uapi;

/// <summary>UAPI over the Unix socket <c>&lt;dir&gt;/&lt;iface&gt;.sock</c> that wireguard-go (and boringtun, etc.) listen on.</summary>
public sealed class UapiSocketTransport : IUapiTransport
{
    public const string DefaultSocketDirectory = "/var/run/wireguard";

    public UapiSocketTransport(string socketDirectory = DefaultSocketDirectory, TimeSpan? timeout = null)
    {
        SocketDirectory = socketDirectory;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    public string SocketDirectory { get; }

    public TimeSpan Timeout { get; }

    public string SocketPath(string interfaceName) => Path.Combine(SocketDirectory, interfaceName + ".sock");

    public async Task<string> ExchangeAsync(string interfaceName, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        var reply = new ArrayBufferWriter<byte>(ReceiveChunk);
        await ExchangeIntoAsync(interfaceName, request, reply, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(reply.WrittenSpan);
    }

    /// <summary>Receives straight into <paramref name="reply"/>: no receive buffer, stream or text of its own per exchange.</summary>
    public async Task ExchangeIntoAsync(string interfaceName, ReadOnlyMemory<byte> request, ArrayBufferWriter<byte> reply, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var path = SocketPath(interfaceName);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw ConnectFailure(interfaceName, path, e);
        }
        await socket.SendAsync(request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        var start = reply.WrittenCount;
        while (true)
        {
            int n = await socket.ReceiveAsync(reply.GetMemory(ReceiveChunk), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            reply.Advance(n);
            if (reply.WrittenCount - start > MaxReplyBytes)
            {
                throw new WireGuardProtocolException($"UAPI reply of '{interfaceName}' is over {MaxReplyBytes / (1024 * 1024)} MiB without its closing blank line");
            }
            // A reply ends with an empty line ("errno=N\n\n").
            if (reply.WrittenSpan[start..].EndsWith("\n\n"u8))
            {
                break;
            }
        }
    }

    /// <summary>The largest reply taken (a device of 20,000 peers answers ~7 MB).</summary>
    public const int MaxReplyBytes = 64 * 1024 * 1024;

    // What one receive asks room for: a reply of 100 peers (~35 KB) comes in a few of them.
    private const int ReceiveChunk = 16 * 1024;

    /// <summary>
    /// Why a UAPI connect failed: no socket or no listener means no such device; a permission problem is an EACCES
    /// operation error (the device may well exist); anything else is a transport failure.
    /// </summary>
    internal static WireGuardException ConnectFailure(string interfaceName, string path, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AccessDenied => new WireGuardOperationException(interfaceName, "UAPI connect", Netlink.Errno.EACCES, path, e),
        SocketError.AddressNotAvailable or SocketError.ConnectionRefused => new WireGuardDeviceNotFoundException(interfaceName, e),
        _ when !File.Exists(path) => new WireGuardDeviceNotFoundException(interfaceName, e),
        _ => new WireGuardTransportException(interfaceName, "UAPI connect", e),
    };
}
