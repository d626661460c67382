using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;
using Appliance.Broker.Interop;

namespace Appliance.Broker;

/// <summary>
/// Makes OpenSSL free a TLS connection's record buffers while they are empty (<c>SSL_MODE_RELEASE_BUFFERS</c>).
/// Without it every connection keeps a ~17 KB read and a ~17 KB write buffer for its whole life, which is most of
/// what an idle TLS client costs the broker. .NET exposes neither the mode nor the <c>SSL*</c>, so the handle is
/// found in the stream's security context by type name (SafeSslHandle); when it cannot be (another runtime layout,
/// no OpenSSL) nothing changes and <see cref="UnavailableReason"/> says why.
/// </summary>
internal static class SslStreamBufferRelease
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private const string SslHandleTypeName = "SafeSslHandle";

    private static readonly FieldInfo? s_context = typeof(SslStream).GetFields(Instance).FirstOrDefault(f => f.FieldType.Name == "SafeDeleteSslContext");

    /// <summary>Why the mode cannot be set in this process, or null when it can.</summary>
    public static string? UnavailableReason =>
        s_context is null ? "SslStream has no SafeDeleteSslContext field in this runtime"
        : !LibSsl.IsAvailable ? "libssl is not loaded in this process"
        : null;

    /// <summary>Sets the mode on an authenticated stream; false when it could not. Call while no read or write is in progress.</summary>
    public static bool TryEnable(SslStream stream)
    {
        if (UnavailableReason is not null || GetSslHandle(stream) is not { IsInvalid: false, IsClosed: false } ssl)
        {
            return false;
        }
        var mode = LibSsl.SSL_ctrl(ssl, LibSsl.SSL_CTRL_MODE, (nint)LibSsl.SSL_MODE_RELEASE_BUFFERS);
        return (mode & (nint)LibSsl.SSL_MODE_RELEASE_BUFFERS) != 0;
    }

    /// <summary>The stream's current OpenSSL mode bits (SSL_CTRL_MODE with nothing added), or null when unreachable.</summary>
    internal static long? GetMode(SslStream stream) =>
        UnavailableReason is null && GetSslHandle(stream) is { IsInvalid: false, IsClosed: false } ssl ? LibSsl.SSL_ctrl(ssl, LibSsl.SSL_CTRL_MODE, 0) : null;

    /// <summary>The SafeSslHandle: the context itself (.NET 8-10 on Linux) or one of its members (earlier layouts).</summary>
    private static SafeHandle? GetSslHandle(SslStream stream)
    {
        var context = s_context?.GetValue(stream);
        if (context is null)
        {
            return null;
        }
        var type = context.GetType();
        if (type.Name == SslHandleTypeName)
        {
            return context as SafeHandle;
        }
        var property = type.GetProperties(Instance).FirstOrDefault(p => p.PropertyType.Name == SslHandleTypeName);
        if (property is not null)
        {
            return property.GetValue(context) as SafeHandle;
        }
        return type.GetFields(Instance).FirstOrDefault(f => f.FieldType.Name == SslHandleTypeName)?.GetValue(context) as SafeHandle;
    }
}
