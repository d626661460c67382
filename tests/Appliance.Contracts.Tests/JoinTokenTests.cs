using System.Buffers.Text;
using System.Text;
using Appliance.Contracts;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class JoinTokenTests
{
    private const string Fp = "3a8ed465f269b5d3feb9e490ef4e03a9bb329e18b7b7fcfb032d7fbb1d048d3e";

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Round_trips_through_base64url_json()
    {
        var token = new JoinToken("https://mesh.example:8443", "apk.secret", Fp, DateTimeOffset.Parse("2030-01-01T00:00:00Z"));
        var encoded = token.Encode();
        Assert.DoesNotContain('=', encoded);
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.Equal(token, JoinToken.Decode(encoded));
        // The wire form is plain JSON with short names, readable by any tool.
        var json = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encoded));
        Assert.Equal("{\"server\":\"https://mesh.example:8443\",\"key\":\"apk.secret\",\"fp\":\"" + Fp + "\",\"exp\":\"2030-01-01T00:00:00+00:00\"}", json);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Plain_http_token_carries_no_fingerprint()
    {
        var token = new JoinToken("http://127.0.0.1:8080", "apk.k", null);
        Assert.Equal(token, JoinToken.Decode(token.Encode()));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "empty", "", "empty" },
        { "not base64url", "@@@not-a-token@@@", "base64url" },
        { "not JSON", Base64Url.EncodeToString("hello"u8), "JSON" },
        { "truncated JSON", Base64Url.EncodeToString("{\"server\":\"https://x\""u8), "JSON" },
        { "no server", Enc("{\"key\":\"k\",\"fp\":\"" + Fp + "\"}"), "server" },
        { "ftp server", Enc("{\"server\":\"ftp://x\",\"key\":\"k\"}"), "http(s)" },
        { "no key", Enc("{\"server\":\"https://x\",\"fp\":\"" + Fp + "\"}"), "enrollment key" },
        { "https without fingerprint", Enc("{\"server\":\"https://x\",\"key\":\"k\"}"), "fingerprint" },
        { "short fingerprint", Enc("{\"server\":\"https://x\",\"key\":\"k\",\"fp\":\"abcd\"}"), "fingerprint" },
        { "non-hex fingerprint", Enc("{\"server\":\"https://x\",\"key\":\"k\",\"fp\":\"" + new string('z', 64) + "\"}"), "fingerprint" },
        { "http with fingerprint", Enc("{\"server\":\"http://x\",\"key\":\"k\",\"fp\":\"" + Fp + "\"}"), "plain http" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Malformed))]
    public void Rejects_malformed_tokens_naming_the_problem(string row, string token, string mentions)
    {
        var e = Assert.Throws<JoinTokenException>(() => JoinToken.Decode(token));
        Assert.True(e.Message.Contains(mentions, StringComparison.Ordinal), $"{row}: '{e.Message}' should mention '{mentions}'");
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Expiry_is_checked_against_the_given_time()
    {
        var token = new JoinToken("https://x", "k", Fp, DateTimeOffset.Parse("2030-01-01T00:00:00Z"));
        Assert.False(token.IsExpired(DateTimeOffset.Parse("2029-12-31T23:59:59Z")));
        Assert.True(token.IsExpired(DateTimeOffset.Parse("2030-01-01T00:00:00Z")));
        Assert.False(token with { ExpiresAt = null } is { } t && t.IsExpired(DateTimeOffset.MaxValue));
    }

    private static string Enc(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
}
