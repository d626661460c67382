using System.Security.Cryptography;
using Appliance.Crypto.Interop;

namespace Appliance.Crypto;

/// <summary>
/// Ed25519 signatures (RFC 8032) through OpenSSL's libcrypto. The server signs what it pushes to devices with a key
/// they learn at join, so a compromised broker cannot inject peers.
/// </summary>
public static unsafe class Ed25519
{
    public const int PrivateKeySize = 32;
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    /// <summary>A new private key (the 32-byte seed of RFC 8032) from the OS CSPRNG.</summary>
    public static byte[] GeneratePrivateKey() => RandomNumberGenerator.GetBytes(PrivateKeySize);

    public static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        var pkey = PrivateKey(privateKey);
        try
        {
            var pub = new byte[PublicKeySize];
            nuint len = PublicKeySize;
            fixed (byte* p = pub)
            {
                if (LibCrypto.EVP_PKEY_get_raw_public_key(pkey, p, &len) != 1 || len != PublicKeySize)
                {
                    throw new CryptographicException("libcrypto could not derive the Ed25519 public key");
                }
            }
            return pub;
        }
        finally
        {
            LibCrypto.EVP_PKEY_free(pkey);
        }
    }

    public static byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message)
    {
        var pkey = PrivateKey(privateKey);
        var ctx = LibCrypto.EVP_MD_CTX_new();
        try
        {
            if (ctx == IntPtr.Zero || LibCrypto.EVP_DigestSignInit(ctx, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, pkey) != 1)
            {
                throw new CryptographicException("libcrypto could not start an Ed25519 signature");
            }
            var signature = new byte[SignatureSize];
            nuint len = SignatureSize;
            fixed (byte* s = signature)
            fixed (byte* m = message)
            {
                if (LibCrypto.EVP_DigestSign(ctx, s, &len, m, (nuint)message.Length) != 1 || len != SignatureSize)
                {
                    throw new CryptographicException("libcrypto could not make the Ed25519 signature");
                }
            }
            return signature;
        }
        finally
        {
            LibCrypto.EVP_MD_CTX_free(ctx);
            LibCrypto.EVP_PKEY_free(pkey);
        }
    }

    /// <summary>True only for a valid signature of <paramref name="message"/> by <paramref name="publicKey"/>; malformed input is simply false.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }
        LibCrypto.EnsureLoaded();
        IntPtr pkey;
        fixed (byte* k = publicKey)
        {
            pkey = LibCrypto.EVP_PKEY_new_raw_public_key(LibCrypto.EVP_PKEY_ED25519, IntPtr.Zero, k, PublicKeySize);
        }
        if (pkey == IntPtr.Zero)
        {
            return false;
        }
        var ctx = LibCrypto.EVP_MD_CTX_new();
        try
        {
            if (ctx == IntPtr.Zero || LibCrypto.EVP_DigestVerifyInit(ctx, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, pkey) != 1)
            {
                return false;
            }
            fixed (byte* s = signature)
            fixed (byte* m = message)
            {
                return LibCrypto.EVP_DigestVerify(ctx, s, SignatureSize, m, (nuint)message.Length) == 1;
            }
        }
        finally
        {
            LibCrypto.EVP_MD_CTX_free(ctx);
            LibCrypto.EVP_PKEY_free(pkey);
        }
    }

    private static IntPtr PrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != PrivateKeySize)
        {
            throw new ArgumentException($"an Ed25519 private key is {PrivateKeySize} bytes, got {privateKey.Length}", nameof(privateKey));
        }
        LibCrypto.EnsureLoaded();
        IntPtr pkey;
        fixed (byte* k = privateKey)
        {
            pkey = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EVP_PKEY_ED25519, IntPtr.Zero, k, PrivateKeySize);
        }
        return pkey != IntPtr.Zero ? pkey : throw new CryptographicException("libcrypto refused the Ed25519 private key");
    }
}
