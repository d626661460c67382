using System.Reflection;
using System.Runtime.InteropServices;

namespace Appliance.Crypto.Interop;

/// <summary>OpenSSL libcrypto entry points (native names), the library .NET itself uses on Linux.</summary>
internal static unsafe partial class LibCrypto
{
    private const string Lib = "libcrypto";

    // <openssl/obj_mac.h>
    public const int EVP_PKEY_X25519 = 1034;
    public const int EVP_PKEY_ED25519 = 1087;

    static LibCrypto()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibCrypto).Assembly, Resolve);
    }

    // OpenSSL 3 on Debian 12 / OpenWRT 23+, 1.1 on older images; both have the raw-key EVP API.
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib)
        {
            return IntPtr.Zero;
        }
        foreach (var candidate in (string[])["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"])
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }

    /// <summary>Forces the resolver to be registered before the first P/Invoke.</summary>
    public static void EnsureLoaded() { }

    [LibraryImport(Lib)]
    public static partial IntPtr EVP_PKEY_new_raw_private_key(int type, IntPtr engine, byte* key, nuint keylen);

    [LibraryImport(Lib)]
    public static partial IntPtr EVP_PKEY_new_raw_public_key(int type, IntPtr engine, byte* key, nuint keylen);

    [LibraryImport(Lib)]
    public static partial int EVP_PKEY_get_raw_public_key(IntPtr pkey, byte* pub, nuint* len);

    [LibraryImport(Lib)]
    public static partial void EVP_PKEY_free(IntPtr pkey);

    [LibraryImport(Lib)]
    public static partial IntPtr EVP_PKEY_CTX_new(IntPtr pkey, IntPtr engine);

    [LibraryImport(Lib)]
    public static partial void EVP_PKEY_CTX_free(IntPtr ctx);

    [LibraryImport(Lib)]
    public static partial int EVP_PKEY_derive_init(IntPtr ctx);

    [LibraryImport(Lib)]
    public static partial int EVP_PKEY_derive_set_peer(IntPtr ctx, IntPtr peer);

    [LibraryImport(Lib)]
    public static partial int EVP_PKEY_derive(IntPtr ctx, byte* key, nuint* keylen);

    [LibraryImport(Lib)]
    public static partial IntPtr EVP_MD_CTX_new();

    [LibraryImport(Lib)]
    public static partial void EVP_MD_CTX_free(IntPtr ctx);

    [LibraryImport(Lib)]
    public static partial int EVP_DigestSignInit(IntPtr ctx, IntPtr pctx, IntPtr type, IntPtr engine, IntPtr pkey);

    [LibraryImport(Lib)]
    public static partial int EVP_DigestSign(IntPtr ctx, byte* sig, nuint* siglen, byte* tbs, nuint tbslen);

    [LibraryImport(Lib)]
    public static partial int EVP_DigestVerifyInit(IntPtr ctx, IntPtr pctx, IntPtr type, IntPtr engine, IntPtr pkey);

    [LibraryImport(Lib)]
    public static partial int EVP_DigestVerify(IntPtr ctx, byte* sig, nuint siglen, byte* tbs, nuint tbslen);
}
