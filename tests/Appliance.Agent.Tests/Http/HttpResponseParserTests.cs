using System.Text;
using Appliance.Agent.Http;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Http;

[Trait("Category", TestCategories.Unit)]
public sealed class HttpResponseParserTests
{
    private static readonly HttpLimits Small = new(MaxHeadBytes: 256, MaxHeaderCount: 4, MaxBodyBytes: 1000);

    private static HttpResponseHead Parse(string wire, HttpLimits? limits = null)
    {
        Assert.True(HttpResponseParser.TryParseHead(Encoding.Latin1.GetBytes(wire), limits ?? HttpLimits.Default, out var head, out var consumed));
        Assert.Equal(wire.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4, consumed);
        return head;
    }

    [Fact]
    public void A_kestrel_json_answer_with_content_length()
    {
        // What Kestrel sends for GET /api/v1/node/config (the body follows the empty line).
        var head = Parse("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nContent-Type: application/json; charset=utf-8\r\nDate: Sat, 05 Dec 2026 17:00:00 GMT\r\nServer: Kestrel\r\n\r\n{\"id\":");
        Assert.Equal((200, "OK", HttpBodyFraming.ContentLength, 42L), (head.StatusCode, head.ReasonPhrase, head.Framing, head.ContentLength));
        Assert.Equal(["Content-Length", "Content-Type", "Date", "Server"], head.Headers.Select(h => h.Key));
        Assert.Equal("application/json; charset=utf-8", head.Headers[1].Value);
    }

    public static TheoryData<string, string, int, HttpBodyFraming> Framings => new()
    {
        { "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, HttpBodyFraming.Chunked },
        { "chunked in another case", "HTTP/1.1 200 OK\r\ntransfer-encoding:  Chunked \r\n\r\n", 200, HttpBodyFraming.Chunked },
        { "no content", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204, HttpBodyFraming.None },
        { "not modified", "HTTP/1.1 304 Not Modified\r\n\r\n", 304, HttpBodyFraming.None },
        { "interim", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 103, HttpBodyFraming.None },
        { "until close (HTTP/1.0)", "HTTP/1.0 200 OK\r\n\r\n", 200, HttpBodyFraming.UntilClose },
        { "the same length twice", "HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", 404, HttpBodyFraming.ContentLength },
        { "no reason phrase", "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", 500, HttpBodyFraming.ContentLength },
    };

    [Theory]
    [MemberData(nameof(Framings))]
    public void The_body_framing_follows_rfc_9112(string row, string wire, int status, HttpBodyFraming framing)
    {
        var head = Parse(wire);
        Assert.True((status, framing) == (head.StatusCode, head.Framing), row);
    }

    [Fact]
    public void An_incomplete_head_asks_for_more_bytes()
    {
        var wire = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"u8.ToArray();
        for (var n = 0; n < wire.Length - 2; n++)
        {
            Assert.False(HttpResponseParser.TryParseHead(wire.AsSpan(0, n), HttpLimits.Default, out _, out _), $"{n} bytes");
        }
        Assert.True(HttpResponseParser.TryParseHead(wire.AsSpan(0, wire.Length - 2), HttpLimits.Default, out _, out var consumed));
        Assert.Equal(wire.Length - 2, consumed);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", "does not start with an HTTP/1.x status line: 'SSH-2.0-OpenSSH_9.2'" },
        { "HTTP/2", "HTTP/2 200\r\n\r\n", "does not start with an HTTP/1.x status line" },
        { "status letters", "HTTP/1.1 2xx OK\r\n\r\n", "status code '2xx'" },
        { "status 600", "HTTP/1.1 600 Huh\r\n\r\n", "status code '600'" },
        { "four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", "status code '200'" },
        { "control in reason", "HTTP/1.1 200 O\u0001K\r\n\r\n", "reason phrase holds a control character" },
        { "obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n", "folded header line" },
        { "no colon", "HTTP/1.1 200 OK\r\nJunk\r\n\r\n", "without a name and colon: 'Junk'" },
        { "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", "header name 'Content-Length '" },
        { "bare LF inside a value", "HTTP/1.1 200 OK\r\nA: b\nc\r\n\r\n", "header 'A' holds a control character" },
        { "CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both Transfer-Encoding and Content-Length" },
        { "two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "two different Content-Length fields (5 and 6)" },
        { "signed length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length '-1' is not a number" },
        { "list length", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", "Content-Length '5, 5' is not a number" },
        { "huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "is not a number" },
        { "gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Transfer-Encoding 'gzip, chunked' is not supported" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_heads_are_refused_naming_what_is_wrong(string row, string wire, string expected)
    {
        var e = Assert.Throws<Http11ProtocolException>(() => HttpResponseParser.TryParseHead(Encoding.Latin1.GetBytes(wire), HttpLimits.Default, out _, out _));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }

    [Fact]
    public void A_head_past_the_limit_is_refused_without_waiting_for_its_end()
    {
        var wire = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Padding: " + new string('a', 300));
        var e = Assert.Throws<Http11ProtocolException>(() => HttpResponseParser.TryParseHead(wire, Small, out _, out _));
        Assert.Equal("the answer's header section is larger than 256 bytes", e.Message);
    }

    [Fact]
    public void Too_many_fields_and_a_body_past_the_limit_are_refused()
    {
        var many = Assert.Throws<Http11ProtocolException>(() => Parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", Small));
        Assert.Equal("the answer has more than 4 header fields", many.Message);
        var big = Assert.Throws<Http11ProtocolException>(() => Parse("HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", Small));
        Assert.Equal("the answer's body (1001 bytes) is larger than the limit of 1000 bytes", big.Message);
        Assert.Equal(1000, Parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", Small).ContentLength);
    }
}
