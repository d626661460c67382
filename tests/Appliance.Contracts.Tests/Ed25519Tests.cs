using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class Ed25519Tests
{
    // RFC 8032 7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void Rfc8032_vectors(string secret, string publicKey, string message, string signature)
    {
        var sk = Convert.FromHexString(secret);
        Assert.Equal(publicKey, Convert.ToHexStringLower(Ed25519.PublicKeyOf(sk)));
        var msg = Convert.FromHexString(message);
        Assert.Equal(signature, Convert.ToHexStringLower(Ed25519.Sign(sk, msg)));
        Assert.True(Ed25519.Verify(Convert.FromHexString(publicKey), msg, Convert.FromHexString(signature)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Tampering_and_malformed_input_fail_verification()
    {
        var sk = Ed25519.GeneratePrivateKey();
        var pk = Ed25519.PublicKeyOf(sk);
        var msg = "peers v7"u8.ToArray();
        var sig = Ed25519.Sign(sk, msg);
        Assert.True(Ed25519.Verify(pk, msg, sig));
        Assert.False(Ed25519.Verify(pk, "peers v8"u8, sig));
        var bad = (byte[])sig.Clone();
        bad[10] ^= 1;
        Assert.False(Ed25519.Verify(pk, msg, bad));
        Assert.False(Ed25519.Verify(Ed25519.PublicKeyOf(Ed25519.GeneratePrivateKey()), msg, sig));
        Assert.False(Ed25519.Verify(pk, msg, sig.AsSpan(0, 63)));
        Assert.False(Ed25519.Verify(pk.AsSpan(0, 31), msg, sig));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Openssl_cli_verifies_our_signatures()
    {
        var openssl = Prerequisites.RequireProgram("openssl");
        using var dir = new TempDirectory("ed25519");
        var sk = Ed25519.GeneratePrivateKey();
        var msg = "a delta from version 3 to 4"u8.ToArray();
        // SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed 12-byte prefix, then the raw key.
        var spki = Convert.FromHexString("302a300506032b6570032100").Concat(Ed25519.PublicKeyOf(sk)).ToArray();
        await File.WriteAllTextAsync(dir.Combine("pub.pem"), "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(spki) + "\n-----END PUBLIC KEY-----\n");
        await File.WriteAllBytesAsync(dir.Combine("msg"), msg);
        await File.WriteAllBytesAsync(dir.Combine("sig"), Ed25519.Sign(sk, msg));
        var r = await ProcessRunner.RunAsync(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", dir.Combine("pub.pem"), "-rawin", "-in", dir.Combine("msg"), "-sigfile", dir.Combine("sig")]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("Signature Verified Successfully", r.StdOut, StringComparison.Ordinal);
    }
}
