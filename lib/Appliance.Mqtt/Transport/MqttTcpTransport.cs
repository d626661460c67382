using System.Net.Security;
using System.Net.Sockets;

namespace Appliance.Mqtt.Transport;

/// <summary>TCP, optionally wrapped in TLS, to host:port.</summary>
public sealed class MqttTcpTransport : IMqttTransport
{
    private readonly string _host;
    private readonly int _port;
    private readonly MqttTlsOptions? _tls;

    public MqttTcpTransport(string host, int port, MqttTlsOptions? tls = null)
    {
        _host = host;
        _port = port;
        _tls = tls;
    }

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (_tls is null)
            {
                return network;
            }
            var tls = _tls;
            var ssl = new SslStream(network, leaveInnerStreamOpen: false, (_, cert, chain, errors) => MqttCertificatePin.Validate(tls, cert, chain, errors));
            try
            {
                var auth = new SslClientAuthenticationOptions
                {
                    TargetHost = tls.TargetHost ?? _host,
                    // The pinned roots alone decide: the system's trust store does not (MqttCertificatePin.ChainPolicy).
                    CertificateChainPolicy = MqttCertificatePin.ChainPolicy(tls),
                };
                if (tls.ClientCertificate is not null)
                {
                    auth.ClientCertificates = [tls.ClientCertificate];
                }
                await ssl.AuthenticateAsClientAsync(auth, cancellationToken).ConfigureAwait(false);
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
