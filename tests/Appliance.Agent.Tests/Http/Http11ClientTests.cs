using System.Net.Sockets;
using System.Text;
using Appliance.Agent.Http;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests.Http;

/// <summary>The client's read loop over an in-memory connection: answers arriving in pieces, cut off, too big, or never.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class Http11ClientTests
{
    private static readonly Uri Server = new("https://10.0.0.1:8443/");
    private readonly FakeHttpConnector _connector = new();
    private readonly FakeTimeProvider _clock = new();

    private Http11Client Client(HttpLimits? limits = null) => new(_connector, _clock, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), limits);

    private static HttpRequest Get(string target = "/api/v1/node/config") => new("GET", target, "10.0.0.1:8443", []);

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public async Task A_content_length_answer_in_pieces_is_read_whole_and_the_request_is_the_encoders()
    {
        var sending = Client().SendAsync(Server, Get(), default);
        var request = await _connector.AnswerAsync(0, B("HTTP/1.1 200 OK\r\nContent-Le"), B("ngth: 10\r\n\r\n{\"a\""), B(":1234}"));
        var response = await sending;
        Assert.Equal("GET /api/v1/node/config HTTP/1.1\r\nHost: 10.0.0.1:8443\r\nConnection: close\r\n\r\n", request);
        Assert.Equal((200, "{\"a\":1234}"), (response.StatusCode, Encoding.ASCII.GetString(response.Body)));
        Assert.Equal([Server], _connector.Connected);
    }

    [Fact]
    public async Task A_chunked_answer_after_an_interim_one_is_de_chunked()
    {
        var sending = Client().SendAsync(Server, Get(), default);
        await _connector.AnswerAsync(0,
            B("HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi"),
            B("ki\r\n5\r\npedia\r\n0\r\n\r\n"));
        var response = await sending;
        Assert.Equal((201, "Created", "Wikipedia"), (response.StatusCode, response.ReasonPhrase, Encoding.ASCII.GetString(response.Body)));
    }

    [Fact]
    public async Task A_body_until_close_ends_with_the_connection()
    {
        var sending = Client().SendAsync(Server, Get(), default);
        await _connector.AnswerAsync(0, B("HTTP/1.0 200 OK\r\n\r\nfirst "), B("second"));
        Assert.Equal("first second", Encoding.ASCII.GetString((await sending).Body));
    }

    [Fact]
    public async Task An_error_answer_is_returned_with_its_body_for_the_caller_to_read()
    {
        var sending = Client().SendAsync(Server, new HttpRequest("POST", "/api/v1/join", "h", [], "{}"u8.ToArray()), default);
        var request = await _connector.AnswerAsync(2, B("HTTP/1.1 403 Forbidden\r\nContent-Length: 17\r\n\r\n{\"title\":\"nope\"}\n"));
        var response = await sending;
        Assert.EndsWith("Content-Length: 2\r\nConnection: close\r\n\r\n{}", request, StringComparison.Ordinal);
        Assert.Equal((403, false), (response.StatusCode, response.IsSuccess));
        Assert.Equal("{\"title\":\"nope\"}\n", Encoding.ASCII.GetString(response.Body));
    }

    public static TheoryData<string, string[], string> CutOff => new()
    {
        { "nothing", [], "closed the connection without an answer" },
        { "half a head", ["HTTP/1.1 200 OK\r\nContent"], "in the middle of the answer's header section (after 24 bytes)" },
        { "short body", ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"], "after 5 of the 10 body bytes it announced" },
        { "unfinished chunks", ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"], "before the end of the chunked body (after 3 bytes)" },
        { "a chunk too big", ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n"], "chunked body is larger than the limit of 100 bytes" },
        { "a length too big", ["HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n"], "body (101 bytes) is larger than the limit of 100 bytes" },
        { "until close, too big", ["HTTP/1.0 200 OK\r\n\r\n", new string('x', 60), new string('x', 60)], "body is larger than the limit of 100 bytes" },
        { "a head too big", ["HTTP/1.1 200 OK\r\n", "X: " + new string('x', 300)], "header section is larger than 256 bytes" },
        { "an upgrade", ["HTTP/1.1 101 Switching Protocols\r\n\r\n"], "switched protocols (101)" },
    };

    [Theory]
    [MemberData(nameof(CutOff))]
    public async Task Cut_off_or_oversize_answers_are_refused_naming_what(string row, string[] pieces, string expected)
    {
        var sending = Client(new HttpLimits(256, 10, 100)).SendAsync(Server, Get(), default);
        await _connector.AnswerAsync(0, [.. pieces.Select(B)]);
        var e = await Assert.ThrowsAsync<Http11ProtocolException>(() => sending);
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_on_the_clock()
    {
        var sending = Client().SendAsync(Server, Get(), default);
        var server = await _connector.Servers.ReadAsync();
        await FakeHttpConnector.ReadRequestAsync(server, 0);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(sending.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<HttpConnectionException>(() => sending);
        Assert.Equal("timed out (no complete answer after 30 s)", e.Message);
        server.Dispose();
    }

    [Fact]
    public async Task A_refused_connection_is_a_connection_error_with_the_sockets_words()
    {
        _connector.Failure = new SocketException((int)SocketError.ConnectionRefused);
        var e = await Assert.ThrowsAsync<HttpConnectionException>(() => Client().SendAsync(Server, Get(), default));
        Assert.Equal("Connection refused", e.Message);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_a_timeout()
    {
        using var cts = new CancellationTokenSource();
        var sending = Client().SendAsync(Server, Get(), cts.Token);
        await _connector.Servers.ReadAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    [Fact]
    public async Task A_bad_request_is_refused_before_any_connection()
    {
        await Assert.ThrowsAsync<Http11ProtocolException>(() => Client().SendAsync(Server, Get("/x\r\nX: y"), default));
        Assert.Empty(_connector.Connected);
    }
}
