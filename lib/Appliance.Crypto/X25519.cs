using System.Security.Cryptography;
using Appliance.Contracts;
using Appliance.Crypto.Interop;

namespace Appliance.Crypto;

/// <summary>A WireGuard key pair. The private key stays on the device that made it.</summary>
public readonly record struct WgKeyPair(WgKey PrivateKey, WgKey PublicKey);

/// <summary>Curve25519 (RFC 7748) through OpenSSL's libcrypto: key generation and public-key derivation as <c>wg genkey | wg pubkey</c>.</summary>
public static unsafe class X25519
{
    /// <summary>Generates a clamped private key from the OS CSPRNG and derives its public key.</summary>
    public static WgKeyPair GenerateKeyPair()
    {
        Span<byte> priv = stackalloc byte[WgKey.Size];
        RandomNumberGenerator.Fill(priv);
        // RFC 7748 5: clamp, as wg genkey does, so the stored key is the canonical scalar.
        priv[0] &= 248;
        priv[31] = (byte)((priv[31] & 127) | 64);
        var privateKey = new WgKey(priv);
        CryptographicOperations.ZeroMemory(priv);
        return new WgKeyPair(privateKey, PublicKeyOf(privateKey));
    }

    /// <summary>The public key for a private key (what <c>wg pubkey</c> prints).</summary>
    public static WgKey PublicKeyOf(WgKey privateKey)
    {
        LibCrypto.EnsureLoaded();
        Span<byte> priv = stackalloc byte[WgKey.Size];
        privateKey.CopyTo(priv);
        Span<byte> pub = stackalloc byte[WgKey.Size];
        IntPtr pkey;
        fixed (byte* p = priv)
        {
            pkey = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EVP_PKEY_X25519, IntPtr.Zero, p, WgKey.Size);
        }
        CryptographicOperations.ZeroMemory(priv);
        if (pkey == IntPtr.Zero)
        {
            throw new CryptographicException("libcrypto refused the X25519 private key");
        }
        try
        {
            nuint len = WgKey.Size;
            fixed (byte* o = pub)
            {
                if (LibCrypto.EVP_PKEY_get_raw_public_key(pkey, o, &len) != 1 || len != WgKey.Size)
                {
                    throw new CryptographicException("libcrypto could not derive the X25519 public key");
                }
            }
        }
        finally
        {
            LibCrypto.EVP_PKEY_free(pkey);
        }
        return new WgKey(pub);
    }
}
