using System.Net.Security;
using System.Net.Sockets;

namespace Appliance.Agent.Http;

/// <summary>
/// TCP to the server's host and port, wrapped in an <see cref="SslStream"/> for https. With a validation callback (the
/// pinned CA: <see cref="Crypto.CertificatePin.Callback"/>) that callback alone decides; without one the system's
/// trust store and the host name do, as for any HTTPS client.
/// </summary>
public sealed class TcpHttpConnector(RemoteCertificateValidationCallback? validate) : IHttpConnector
{
    public async ValueTask<Stream> ConnectAsync(Uri server, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // DnsSafeHost: an IPv6 literal without its brackets.
            await socket.ConnectAsync(server.DnsSafeHost, server.Port, ct).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (server.Scheme != Uri.UriSchemeHttps)
            {
                return network;
            }
            var ssl = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = server.IdnHost,
                    RemoteCertificateValidationCallback = validate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, ct).ConfigureAwait(false);
                return ssl;
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
