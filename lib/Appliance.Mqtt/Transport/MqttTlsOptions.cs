using System.Security.Cryptography.X509Certificates;

namespace Appliance.Mqtt.Transport;

/// <summary>How the client authenticates the broker over TLS.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>Name checked against the server certificate (SNI); defaults to the host.</summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// SHA-256 of the broker certificate (DER), hex with or without colons. When set, the certificate is accepted
    /// if and only if it has this fingerprint: chain and name are not consulted.
    /// </summary>
    public string? PinnedSha256 { get; set; }

    /// <summary>Roots to trust instead of the system store (for a private CA); the name must still match.</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    public X509Certificate2? ClientCertificate { get; set; }
}
