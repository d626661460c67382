using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Mqtt.Transport;

/// <summary>Server certificate checks for the client: SHA-256 pinning, a private root, or the system store.</summary>
public static class MqttCertificatePin
{
    public static string Sha256Hex(X509Certificate certificate) => Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

    public static string Normalize(string fingerprint) => fingerprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    public static bool Validate(MqttTlsOptions tls, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        if (tls.PinnedSha256 is { } pin)
        {
            return string.Equals(Sha256Hex(certificate), Normalize(pin), StringComparison.Ordinal);
        }
        if (tls.TrustedRoots is { Count: > 0 } roots)
        {
            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            {
                return false;
            }
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(roots);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            using var leaf = new X509Certificate2(certificate);
            return custom.Build(leaf);
        }
        return errors == SslPolicyErrors.None;
    }
}
