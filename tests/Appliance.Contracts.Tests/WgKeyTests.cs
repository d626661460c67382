using Appliance.Contracts;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class WgKeyTests
{
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [InlineData("too short", "AAAA")]
    [InlineData("not base64", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=")]
    [InlineData("33 bytes", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("empty", "")]
    public void Rejects_malformed_keys(string why, string text)
    {
        Assert.False(WgKey.TryParse(text, out _), why);
        Assert.Throws<FormatException>(() => WgKey.Parse(text));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Base64_and_hex_round_trip()
    {
        var k = WgKey.Random();
        Assert.Equal(k, WgKey.Parse(k.ToString()));
        Assert.True(WgKey.TryParseHex(k.ToHex(), out var h));
        Assert.Equal(k, h);
        Assert.False(k.IsZero);
        Assert.True(default(WgKey).IsZero);
    }
    [Theory]
    [Trait("Category", TestCategories.Unit)]
    // 32 bytes are 256 bits; 43 base64 characters carry 258, so the last character has two unused low bits.
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD=")]
    [InlineData("//////////////////////////////////////////8=", "//////////////////////////////////////////9=")]
    [InlineData("//////////////////////////////////////////8=", "//////////////////////////////////////////+=")]
    public void Two_spellings_of_one_key_are_one_key_printed_canonically(string canonical, string other)
    {
        Assert.True(WgKey.TryParse(other, out var fromOther));
        Assert.Equal(WgKey.Parse(canonical), fromOther);
        Assert.Equal(canonical, fromOther.ToString()); // what the server stores and compares
        Assert.Equal(WgKey.Parse(canonical).GetHashCode(), fromOther.GetHashCode());
    }
}
