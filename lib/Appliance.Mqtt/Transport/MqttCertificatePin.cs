using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Mqtt.Transport;

/// <summary>Server certificate checks for the client: SHA-256 pinning, a private root, or the system store.</summary>
public static class MqttCertificatePin
{
    public static string Sha256Hex(X509Certificate certificate) => Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

    public static string Normalize(string fingerprint) => fingerprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>
    /// The policy the TLS handshake builds the broker's chain with, before <see cref="Validate"/> runs: with
    /// <see cref="MqttTlsOptions.TrustedRoots"/> those roots alone; with a pinned fingerprint no roots at all (the pin
    /// decides, chain errors are not consulted); in both no revocation check and no certificate downloads. Null (the
    /// system's trust store) only when neither is set. (.NET on Linux loads the system's certificates before any chain,
    /// whatever the policy, and again when five minutes old; issue #15's agent keeps them out of its process with
    /// <c>SystemTrustStore</c>, docs/BENCHMARKS.md "#15: session 13".)
    /// </summary>
    public static X509ChainPolicy? ChainPolicy(MqttTlsOptions tls)
    {
        var roots = tls.TrustedRoots is { Count: > 0 } r ? r : null;
        if (tls.PinnedSha256 is null && roots is null)
        {
            return null;
        }
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        if (tls.PinnedSha256 is null && roots is not null)
        {
            policy.CustomTrustStore.AddRange(roots);
        }
        return policy;
    }

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
            custom.ChainPolicy.DisableCertificateDownloads = true;
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
