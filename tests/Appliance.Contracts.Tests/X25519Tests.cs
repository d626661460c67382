using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class X25519Tests
{
    // RFC 7748 6.1: Alice's private scalar and public key.
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Rfc7748_vector_gives_published_public_key()
    {
        var priv = new WgKey(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        var pub = X25519.PublicKeyOf(priv);
        Assert.Equal("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", pub.ToHex());
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Generated_keys_are_clamped_and_distinct()
    {
        var a = X25519.GenerateKeyPair();
        var b = X25519.GenerateKeyPair();
        Assert.NotEqual(a.PrivateKey, b.PrivateKey);
        var raw = a.PrivateKey.ToArray();
        Assert.Equal(0, raw[0] & 7);
        Assert.Equal(64, raw[31] & 0xC0);
        Assert.Equal(a.PublicKey, X25519.PublicKeyOf(a.PrivateKey));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Wg_pubkey_agrees_on_the_public_key()
    {
        var wg = Prerequisites.RequireProgram("wg");
        for (var i = 0; i < 5; i++)
        {
            var pair = X25519.GenerateKeyPair();
            var result = (await ProcessRunner.RunAsync(wg, ["pubkey"], stdin: pair.PrivateKey + "\n")).EnsureSuccess("wg pubkey");
            Assert.Equal(pair.PublicKey.ToString(), result.StdOut.Trim());
        }
    }
}
