using Appliance.Server.Configuration;

namespace Appliance.Server.Security;

/// <summary>
/// The server's TLS material: its CA and server certificate when it uses TLS (<see cref="ServerOptions.UsesTls"/>),
/// else none; and the CA fingerprint join tokens carry (only for an https public URL).
/// </summary>
public sealed record ServerTls(ServerCertificates? Certificates, string? TokenFingerprint)
{
    /// <summary>Loads the certificates from the data dir, or makes them (a CA on first start, a server certificate for the public host).</summary>
    public static ServerTls LoadOrCreate(ServerOptions options)
    {
        if (!options.UsesTls)
        {
            return new ServerTls(null, null);
        }
        var certificates = ServerCertificates.LoadOrCreate(options.DataDir, [new Uri(options.PublicUrl).Host]);
        return new ServerTls(certificates, options.PinsCertificate ? certificates.CaFingerprint : null);
    }
}
