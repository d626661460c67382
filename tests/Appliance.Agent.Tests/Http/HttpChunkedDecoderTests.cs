using System.Text;
using Appliance.Agent.Http;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests.Http;

[Trait("Category", TestCategories.Unit)]
public sealed class HttpChunkedDecoderTests
{
    private static readonly HttpLimits Small = new(MaxHeadBytes: 64, MaxHeaderCount: 10, MaxBodyBytes: 20);

    // RFC 9112 7.1: "Wiki" (4), "pedia" (5, with an extension), " in chunks." (0xB), the last chunk, one trailer field.
    private static readonly byte[] Golden = "4\r\nWiki\r\n5;name=value\r\npedia\r\nB\r\n in chunks.\r\n0\r\nExpires: never\r\n\r\n"u8.ToArray();

    [Fact]
    public void The_golden_body_decodes_in_one_call()
    {
        var decoder = new HttpChunkedDecoder(HttpLimits.Default);
        Assert.Equal(Golden.Length, decoder.Decode(Golden));
        Assert.True(decoder.IsComplete);
        Assert.Equal("Wikipedia in chunks.", Encoding.ASCII.GetString(decoder.Body));
    }

    [Fact]
    public void Byte_by_byte_arrival_gives_the_same_body_and_bytes_after_the_end_are_left()
    {
        var decoder = new HttpChunkedDecoder(HttpLimits.Default);
        var input = Golden.Concat("HTTP/1.1 200 OK"u8.ToArray()).ToArray();
        var pending = new List<byte>();
        var fed = 0;
        while (!decoder.IsComplete)
        {
            pending.Add(input[fed++]);
            pending.RemoveRange(0, decoder.Decode(pending.ToArray()));
        }
        Assert.Equal(Golden.Length, fed);
        Assert.Equal("Wikipedia in chunks.", Encoding.ASCII.GetString(decoder.Body));
        Assert.Equal(0, decoder.Decode("HTTP"u8));
    }

    [Fact]
    public void A_partial_size_line_is_kept_for_the_next_call()
    {
        var decoder = new HttpChunkedDecoder(HttpLimits.Default);
        Assert.Equal(0, decoder.Decode("1"u8));
        Assert.Equal(0, decoder.Decode("1a"u8));
        Assert.Equal(4, decoder.Decode("1a\r\n"u8));
        Assert.Equal(3, decoder.Decode("abc"u8));
        Assert.False(decoder.IsComplete);
        Assert.Equal("abc", Encoding.ASCII.GetString(decoder.Body));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not hex", "zz\r\n", "chunk size 'zz' is not 1 to 8 hex digits" },
        { "empty size", "\r\n", "chunk size '' is not 1 to 8 hex digits" },
        { "a sign", "-1\r\n", "chunk size '-1'" },
        { "overflowing size", "1000000000\r\n", "chunk size '1000000000' is not 1 to 8 hex digits" },
        { "data longer than its size", "2\r\nabc\r\n", "not followed by CRLF" },
        { "a body past the limit", "a\r\n0123456789\r\nb\r\n", "chunked body is larger than the limit of 20 bytes" },
        { "one chunk past the limit", "15\r\n", "chunked body is larger than the limit of 20 bytes" },
        { "a size line without end", "1" + new string(' ', 300), "size line is longer than 256 bytes" },
        { "a trailer past the limit", "0\r\nX: " + new string('a', 80) + "\r\n", "trailer section is larger than 64 bytes" },
        { "a trailer line without end", "0\r\nX: " + new string('a', 80), "trailer section is larger than 64 bytes" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_or_oversize_bodies_are_refused_naming_what_is_wrong(string row, string wire, string expected)
    {
        var e = Assert.Throws<Http11ProtocolException>(() => new HttpChunkedDecoder(Small).Decode(Encoding.ASCII.GetBytes(wire)));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{row}: {e.Message}");
    }
}
