using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class SignedEnvelopeTests
{
    private static readonly byte[] Sk = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] Pk = Ed25519.PublicKeyOf(Sk);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Golden_envelope_of_an_empty_payload()
    {
        // "APS1" then the RFC 8032 key's signature over "APS1" (Ed25519 is deterministic).
        var wire = SignedEnvelope.Seal(Sk, []);
        Assert.Equal("41505331", Convert.ToHexStringLower(wire.AsSpan(0, 4)));
        Assert.Equal(68, wire.Length);
        Assert.Equal(Convert.ToHexStringLower(Ed25519.Sign(Sk, "APS1"u8)), Convert.ToHexStringLower(wire.AsSpan(4, 64)));
        Assert.True(SignedEnvelope.TryOpen(wire, Pk, out var payload, out _));
        Assert.True(payload.IsEmpty);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Round_trip()
    {
        var wire = SignedEnvelope.Seal(Sk, "{\"toVersion\":5}"u8);
        Assert.True(SignedEnvelope.TryOpen(wire, Pk, out var payload, out var error), error);
        Assert.Equal("{\"toVersion\":5}", System.Text.Encoding.UTF8.GetString(payload));
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Broken => new()
    {
        { "truncated header", w => w[..40], "too short" },
        { "unsigned JSON", _ => "{\"toVersion\":99}"u8.ToArray().Concat(new byte[64]).ToArray(), "not a signed message" },
        { "payload changed", w => { var c = (byte[])w.Clone(); c[^2] ^= 1; return c; }, "bad signature" },
        { "signature changed", w => { var c = (byte[])w.Clone(); c[20] ^= 1; return c; }, "bad signature" },
        { "payload extended", w => w.Concat("x"u8.ToArray()).ToArray(), "bad signature" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Broken))]
    public void Tampered_or_foreign_messages_are_rejected(string row, Func<byte[], byte[]> mutate, string reason)
    {
        var wire = mutate(SignedEnvelope.Seal(Sk, "{\"toVersion\":5}"u8));
        Assert.False(SignedEnvelope.TryOpen(wire, Pk, out _, out var error), row);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Another_servers_key_does_not_open_it()
    {
        var wire = SignedEnvelope.Seal(Ed25519.GeneratePrivateKey(), "{}"u8);
        Assert.False(SignedEnvelope.TryOpen(wire, Pk, out _, out var error));
        Assert.Contains("bad signature", error, StringComparison.Ordinal);
    }
}
