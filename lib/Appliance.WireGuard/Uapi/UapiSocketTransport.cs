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
        var buffer = new byte[16 * 1024];
        using var reply = new MemoryStream();
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            reply.Write(buffer, 0, n);
            // A reply ends with an empty line ("errno=N\n\n").
            if (reply.Length >= 2 && EndsWithBlankLine(reply))
            {
                break;
            }
        }
        return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
    }

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

    private static bool EndsWithBlankLine(MemoryStream s)
    {
        var b = s.GetBuffer();
        int len = (int)s.Length;
        return b[len - 1] == '\n' && b[len - 2] == '\n';
    }
}
