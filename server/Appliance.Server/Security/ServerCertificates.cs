using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Contracts;

namespace Appliance.Server.Security;

/// <summary>
/// The server's own CA and TLS certificate, made on first start in the data dir (PEM, keys 0600).
/// Join tokens pin the CA's SHA-256 fingerprint, so the server certificate can be re-issued
/// (for a new name or before expiry) without invalidating tokens already handed out.
/// </summary>
public sealed class ServerCertificates
{
    private static readonly TimeSpan ServerValidity = TimeSpan.FromDays(825);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private ServerCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        Ca = ca;
        Server = server;
        CaFingerprint = Convert.ToHexStringLower(SHA256.HashData(ca.RawData));
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>SHA-256 of the CA certificate's DER, lowercase hex: what join tokens carry.</summary>
    public string CaFingerprint { get; }

    public static ServerCertificates LoadOrCreate(string dataDir, IEnumerable<string> extraNames)
    {
        var caCrt = Path.Combine(dataDir, "ca.crt");
        var caKey = Path.Combine(dataDir, "ca.key");
        var srvCrt = Path.Combine(dataDir, "server.crt");
        var srvKey = Path.Combine(dataDir, "server.key");

        if (File.Exists(caCrt) != File.Exists(caKey))
        {
            // Making a new CA here would silently break every token and every joined device's pin.
            throw new InvalidOperationException(
                $"{(File.Exists(caCrt) ? caKey : caCrt)} is missing but {(File.Exists(caCrt) ? caCrt : caKey)} exists; restore it from a backup " +
                "(or remove both to start a new CA, which invalidates every join token and joined device)");
        }
        if (!File.Exists(caCrt))
        {
            var (certPem, keyPem) = NewCaPem();
            AtomicFile.Write(caKey, keyPem, secret: true);
            AtomicFile.Write(caCrt, certPem, secret: false);
            File.Delete(srvCrt); // a new CA invalidates any old server certificate
        }
        using var caWithKey = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        var caPublic = X509CertificateLoader.LoadCertificate(caWithKey.RawData);

        var names = DefaultNames().Concat(extraNames).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        X509Certificate2? server = null;
        if (File.Exists(srvCrt) && File.Exists(srvKey))
        {
            try
            {
                server = X509Certificate2.CreateFromPemFile(srvCrt, srvKey);
            }
            catch (CryptographicException)
            {
                server = null; // a half-written pair (crash between the two writes): issue a new one
            }
            if (server is not null && (server.NotAfter - DateTime.Now < RenewBefore || !CoversAll(server, names) || !IssuedBy(server, caPublic)))
            {
                server.Dispose();
                server = null;
            }
        }
        server ??= IssueServerCertificate(caWithKey, names, srvCrt, srvKey);
        return new ServerCertificates(caPublic, server);
    }

    /// <summary>A new CA (P-256, 20 years): its certificate and its PKCS#8 private key, both PEM.</summary>
    internal static (string CertPem, string KeyPem) NewCaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN=Appliance CA {Environment.MachineName}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        using var ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(20));
        return (ca.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 IssueServerCertificate(X509Certificate2 caWithKey, List<string> names, string crtPath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=appliance-server", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = req.Create(caWithKey, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.Add(ServerValidity), serial);
        AtomicFile.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), secret: true);
        AtomicFile.Write(crtPath, issued.ExportCertificatePem(), secret: false);
        return X509Certificate2.CreateFromPemFile(crtPath, keyPath);
    }

    private static bool IssuedBy(X509Certificate2 server, X509Certificate2 ca) => server.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData);

    private static bool CoversAll(X509Certificate2 cert, List<string> names)
    {
        var ext = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (ext is null)
        {
            return false;
        }
        var have = new HashSet<string>(ext.EnumerateDnsNames(), StringComparer.OrdinalIgnoreCase);
        foreach (var ip in ext.EnumerateIPAddresses())
        {
            have.Add(ip.ToString());
        }
        return names.All(have.Contains);
    }

    /// <summary>localhost, loopback addresses, the host name, and every address on an up interface.</summary>
    private static IEnumerable<string> DefaultNames()
    {
        yield return "localhost";
        yield return "127.0.0.1";
        yield return "::1";
        yield return Dns.GetHostName();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            {
                continue;
            }
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
            {
                if (a.Address.AddressFamily == AddressFamily.InterNetwork ||
                    (a.Address.AddressFamily == AddressFamily.InterNetworkV6 && !a.Address.IsIPv6LinkLocal))
                {
                    yield return a.Address.ToString();
                }
            }
        }
    }
}
