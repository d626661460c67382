using System.Text;
using Appliance.Agent.Http;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Http;

[Trait("Category", TestCategories.Unit)]
public sealed class HttpRequestEncoderTests
{
    private static string Encode(HttpRequest r) => Encoding.ASCII.GetString(HttpRequestEncoder.Encode(r));

    [Fact]
    public void A_config_pull_is_the_request_line_host_the_fields_and_connection_close()
    {
        // curl -H 'Authorization: Bearer apn.n1.s' https://10.0.0.1:8443/api/v1/node/config (HTTP/1.1, one request)
        var wire = Encode(new HttpRequest("GET", "/api/v1/node/config", "10.0.0.1:8443",
            [new("Accept", "application/json"), new("Authorization", "Bearer apn.n1.s")]));
        Assert.Equal(
            "GET /api/v1/node/config HTTP/1.1\r\n" +
            "Host: 10.0.0.1:8443\r\n" +
            "Accept: application/json\r\n" +
            "Authorization: Bearer apn.n1.s\r\n" +
            "Connection: close\r\n" +
            "\r\n", wire);
    }

    [Fact]
    public void A_join_carries_its_body_after_its_content_length()
    {
        var body = "{\"key\":\"apk.x\"}"u8.ToArray();
        var wire = HttpRequestEncoder.Encode(new HttpRequest("POST", "/api/v1/join", "[fd00::1]:8443",
            [new("Content-Type", "application/json; charset=utf-8")], body));
        Assert.Equal(
            "POST /api/v1/join HTTP/1.1\r\n" +
            "Host: [fd00::1]:8443\r\n" +
            "Content-Type: application/json; charset=utf-8\r\n" +
            "Content-Length: 15\r\n" +
            "Connection: close\r\n" +
            "\r\n" +
            "{\"key\":\"apk.x\"}", Encoding.ASCII.GetString(wire));
    }

    [Fact]
    public void An_empty_body_is_announced_and_no_body_is_not()
    {
        Assert.Contains("Content-Length: 0\r\n", Encode(new HttpRequest("POST", "/a", "h", [], [])), StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Length", Encode(new HttpRequest("DELETE", "/api/v1/node", "h", [])), StringComparison.Ordinal);
    }

    public static TheoryData<string, HttpRequest, string> Refused => new()
    {
        { "header injection in a value", new HttpRequest("GET", "/", "h", [new("Authorization", "Bearer x\r\nX-Evil: 1")]), "value of header 'Authorization'" },
        { "a NUL in a value", new HttpRequest("GET", "/", "h", [new("Accept", "a\0b")]), "value of header 'Accept'" },
        { "non-ASCII value", new HttpRequest("GET", "/", "h", [new("Accept", "é")]), "value of header 'Accept'" },
        { "space in a name", new HttpRequest("GET", "/", "h", [new("Bad Name", "x")]), "header name 'Bad Name'" },
        { "empty name", new HttpRequest("GET", "/", "h", [new("", "x")]), "header name ''" },
        { "the caller's own Host", new HttpRequest("GET", "/", "h", [new("host", "evil")]), "'host' is written by the encoder" },
        { "the caller's own framing", new HttpRequest("GET", "/", "h", [new("Transfer-Encoding", "chunked")]), "'Transfer-Encoding' is written by the encoder" },
        { "a space in the target", new HttpRequest("GET", "/a b", "h", []), "request target '/a b'" },
        { "CRLF in the target", new HttpRequest("GET", "/a\r\nX: 1", "h", []), "request target" },
        { "a target that is not a path", new HttpRequest("GET", "http://evil/", "h", []), "request target 'http://evil/'" },
        { "a method with a space", new HttpRequest("GET /x", "/", "h", []), "request method 'GET /x'" },
        { "an empty method", new HttpRequest("", "/", "h", []), "request method ''" },
        { "userinfo in the authority", new HttpRequest("GET", "/", "user@h", []), "Host 'user@h'" },
        { "an empty authority", new HttpRequest("GET", "/", "", []), "Host ''" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Requests_that_could_split_or_smuggle_are_refused_naming_the_part(string row, HttpRequest request, string expected)
    {
        var e = Assert.Throws<Http11ProtocolException>(() => HttpRequestEncoder.Encode(request));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }
}
