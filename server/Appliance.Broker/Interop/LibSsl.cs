using System.Runtime.InteropServices;

namespace Appliance.Broker.Interop;

/// <summary>
/// The one libssl call the broker makes itself: <c>SSL_ctrl</c> on the <c>SSL*</c> of an <see cref="System.Net.Security.SslStream"/>,
/// resolved from the libssl the runtime already loaded (never a second copy: an <c>SSL*</c> from OpenSSL 1.1 must not
/// reach OpenSSL 3's functions).
/// </summary>
internal static unsafe class LibSsl
{
    /// <summary>openssl/ssl.h: <c>#define SSL_CTRL_MODE 33</c> (the same in OpenSSL 1.1 and 3).</summary>
    internal const int SSL_CTRL_MODE = 33;

    /// <summary>openssl/ssl.h: <c>#define SSL_MODE_RELEASE_BUFFERS 0x00000010U</c>: free the record layer's read and write buffers while they are empty.</summary>
    internal const long SSL_MODE_RELEASE_BUFFERS = 0x10;

    private static readonly delegate* unmanaged<nint, int, nint, nint, nint> s_sslCtrl = Resolve();

    internal static bool IsAvailable => s_sslCtrl != null;

    /// <summary><c>long SSL_ctrl(SSL *ssl, int cmd, long larg, void *parg)</c>; SSL_CTRL_MODE ORs <paramref name="larg"/> into the mode and returns the new mode.</summary>
    internal static nint SSL_ctrl(SafeHandle ssl, int cmd, nint larg)
    {
        if (s_sslCtrl == null)
        {
            throw new InvalidOperationException("libssl is not loaded in this process");
        }
        var added = false;
        ssl.DangerousAddRef(ref added);
        try
        {
            return s_sslCtrl(ssl.DangerousGetHandle(), cmd, larg, 0);
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    /// <summary>The path of the libssl mapped into this process (from /proc/self/maps), or null.</summary>
    internal static string? LoadedLibraryPath()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && Path.GetFileName(line.AsSpan(slash)).StartsWith("libssl.so", StringComparison.Ordinal))
                {
                    return line[slash..];
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static delegate* unmanaged<nint, int, nint, nint, nint> Resolve()
    {
        // The runtime loads libssl when the first SslStream is created; this type is first used after a handshake.
        if (LoadedLibraryPath() is { } path
            && NativeLibrary.TryLoad(path, out var library)
            && NativeLibrary.TryGetExport(library, "SSL_ctrl", out var ctrl))
        {
            return (delegate* unmanaged<nint, int, nint, nint, nint>)ctrl;
        }
        return null;
    }
}
