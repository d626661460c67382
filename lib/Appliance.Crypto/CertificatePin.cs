using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Crypto;

/// <summary>
/// Trust by fingerprint instead of a public CA. A device knows only the SHA-256 of the server's CA
/// (from its join token); it fetches the CA certificate, which is public, checks the hash, and from then on
/// accepts a server certificate only if it chains up to that CA. TLS servers do not send self-signed roots,
/// hence the fetch (the same discovery kubeadm does with its CA hash).
/// The host name is not checked: the pinned CA identifies the server.
/// </summary>
public static class CertificatePin
{
    /// <summary>Where the server publishes its CA certificate (PEM).</summary>
    public const string CaPath = "ca.crt";

    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>Fetches the server's CA certificate and checks it against the pinned fingerprint.</summary>
    /// <exception cref="CertificatePinException">the fetched certificate has another fingerprint.</exception>
    /// <exception cref="HttpRequestException">the server could not be reached.</exception>
    public static async Task<X509Certificate2> FetchCaAsync(Uri server, string fingerprint, CancellationToken ct)
    {
        // Nothing secret is sent on this connection and nothing is trusted until the hash matches.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        var pem = await http.GetStringAsync(new Uri(server, CaPath), ct).ConfigureAwait(false);
        return VerifyCa(pem, server, fingerprint);
    }

    /// <summary>The CA certificate in <paramref name="pem"/> (as <paramref name="server"/> served it at <see cref="CaPath"/>), if its hash is the pinned fingerprint.</summary>
    /// <exception cref="CertificatePinException">no certificate in the PEM, or one with another fingerprint.</exception>
    public static X509Certificate2 VerifyCa(string pem, Uri server, string fingerprint)
    {
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            throw new CertificatePinException($"{server} did not serve a CA certificate at /{CaPath}");
        }
        var actual = Fingerprint(ca);
        if (!string.Equals(actual, fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            ca.Dispose();
            throw new CertificatePinException(
                $"the server's CA certificate does not match the pinned fingerprint: expected {fingerprint.ToLowerInvariant()}, the server has {actual}");
        }
        return ca;
    }

    /// <summary>For <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>: the leaf must chain to <paramref name="ca"/>.</summary>
    public static RemoteCertificateValidationCallback Callback(X509Certificate2 ca) =>
        (_, certificate, presented, _) =>
        {
            if (certificate is null)
            {
                return false;
            }
            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return ChainsTo(leaf, presented, ca);
        };

    /// <summary>
    /// A chain policy that trusts <paramref name="ca"/> alone and checks no revocation: given to a TLS handshake
    /// (<see cref="SslClientAuthenticationOptions.CertificateChainPolicy"/>), the system's root certificates decide
    /// nothing in the handshake's own chain (.NET still loads them first; the agent's SystemTrustStore keeps them out).
    /// </summary>
    public static X509ChainPolicy ChainPolicy(X509Certificate2 ca)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(ca);
        return policy;
    }

    public static bool ChainsTo(X509Certificate2 leaf, X509Chain? presented, X509Certificate2 ca)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicy(ca) };
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }
        return chain.Build(leaf);
    }
}

/// <summary>The server is not the one the join token pinned.</summary>
public sealed class CertificatePinException(string message) : Exception(message);
