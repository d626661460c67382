using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Mqtt.Transport;
using Appliance.TestSupport;

namespace Appliance.Mqtt.Tests.Transport;

/// <summary>
/// The MQTT client's TLS (<see cref="MqttTcpTransport"/>) against a TLS listener on loopback: the broker's chain is
/// built with the private CA alone (issue #15: never the system's trust store), the name is still checked, a pin decides
/// alone, and a certificate from another CA is refused.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MqttTlsTransportTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = new("Broker Test CA");
    private readonly TestCertificateAuthority _otherCa = new("Other CA");

    [Fact]
    public void The_chain_policy_is_the_private_roots_alone_or_none_for_a_pin_and_the_system_store_only_without_either()
    {
        var roots = MqttCertificatePin.ChainPolicy(new MqttTlsOptions { TrustedRoots = [_ca.Certificate] });
        Assert.NotNull(roots);
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, roots.TrustMode);
        Assert.Equal(_ca.Certificate.Thumbprint, Assert.Single(roots.CustomTrustStore).Thumbprint);
        Assert.Equal(X509RevocationMode.NoCheck, roots.RevocationMode);
        Assert.True(roots.DisableCertificateDownloads);

        var pinned = MqttCertificatePin.ChainPolicy(new MqttTlsOptions { PinnedSha256 = "AB", TrustedRoots = [_ca.Certificate] });
        Assert.NotNull(pinned);
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, pinned.TrustMode);
        Assert.Empty(pinned.CustomTrustStore);

        Assert.Null(MqttCertificatePin.ChainPolicy(new MqttTlsOptions()));
        Assert.Null(MqttCertificatePin.ChainPolicy(new MqttTlsOptions { TrustedRoots = [] }));
    }

    [Fact]
    public async Task A_broker_certificate_from_the_private_ca_is_accepted()
    {
        using var cert = _ca.IssueServerCertificate();
        await using var stream = await ConnectAsync(cert, new MqttTlsOptions { TrustedRoots = [_ca.Certificate], TargetHost = "localhost" });
        Assert.Equal((byte)'x', (byte)stream.ReadByte());
    }

    [Fact]
    public async Task A_pinned_fingerprint_decides_alone()
    {
        using var cert = _otherCa.IssueServerCertificate("elsewhere");
        var pin = MqttCertificatePin.Sha256Hex(cert);
        await using var stream = await ConnectAsync(cert, new MqttTlsOptions { PinnedSha256 = pin, TargetHost = "localhost" });
        Assert.Equal((byte)'x', (byte)stream.ReadByte());

        await Assert.ThrowsAsync<AuthenticationException>(async () =>
            await ConnectAsync(cert, new MqttTlsOptions { PinnedSha256 = new string('0', 64), TargetHost = "localhost" }));
    }

    [Fact]
    public async Task Another_cas_certificate_or_another_name_is_refused()
    {
        using var foreign = _otherCa.IssueServerCertificate();
        await Assert.ThrowsAsync<AuthenticationException>(async () =>
            await ConnectAsync(foreign, new MqttTlsOptions { TrustedRoots = [_ca.Certificate], TargetHost = "localhost" }));

        using var named = _ca.IssueServerCertificate("broker.example");
        await Assert.ThrowsAsync<AuthenticationException>(async () =>
            await ConnectAsync(named, new MqttTlsOptions { TrustedRoots = [_ca.Certificate], TargetHost = "localhost" }));
    }

    /// <summary>Connects the transport to a one-connection TLS listener that presents <paramref name="cert"/> and sends "x".</summary>
    private static async Task<Stream> ConnectAsync(X509Certificate2 cert, MqttTlsOptions tls)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert }, timeout.Token);
                await ssl.WriteAsync("x"u8.ToArray(), timeout.Token);
                await ssl.FlushAsync(timeout.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // The client refused the certificate: its side reports it.
            }
        });
        try
        {
            return await new MqttTcpTransport("127.0.0.1", port, tls).ConnectAsync(timeout.Token);
        }
        finally
        {
            await serve;
        }
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
    }
}
