using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Agent.Http;

/// <summary>
/// TCP to the server's host and port, wrapped in an <see cref="SslStream"/> for https. With a validation callback (the
/// pinned CA: <see cref="Crypto.CertificatePin.Callback"/>) that callback alone decides; without one the system's
/// trust store and the host name do, as for any HTTPS client. <paramref name="chainPolicy"/> is the policy the
/// handshake builds the server's chain with (null: the system's trust store): with a pinned CA the agent passes
/// <see cref="Crypto.CertificatePin.ChainPolicy"/>, so the pinned CA alone decides (and the system's certificates,
/// which .NET loads before any chain, are kept out of a pinned agent's process by Diagnostics.SystemTrustStore,
/// issue #15). Without one
/// the system's trust store decides, with no revocation check and no certificate downloads (as curl does: a server
/// must send its intermediates); the native binary has no HTTP client for chain downloads (ILLink.Substitutions.Aot.xml).
/// </summary>
public sealed class TcpHttpConnector(RemoteCertificateValidationCallback? validate, X509ChainPolicy? chainPolicy = null) : IHttpConnector
{
    private static X509ChainPolicy SystemTrustWithoutDownloads() =>
        new() { TrustMode = X509ChainTrustMode.System, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };

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
                    CertificateChainPolicy = chainPolicy ?? SystemTrustWithoutDownloads(),
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
