using System.Buffers;
using System.Security.Authentication;

namespace Appliance.Agent.Http;

/// <summary>
/// The agent's HTTP/1.1 client: one request per connection through an <see cref="IHttpConnector"/>, the answer read
/// within <see cref="HttpLimits"/>, the whole exchange within a timeout. No redirects (the agent's server never sends
/// one to it, and following one would send the credential elsewhere), no cookies, no compression, no proxy.
/// </summary>
public sealed class Http11Client
{
    private const int ReadSize = 16 * 1024;

    private readonly IHttpConnector _connector;
    private readonly TimeProvider _time;

    public Http11Client(IHttpConnector connector, TimeProvider time, TimeSpan connectTimeout, TimeSpan timeout, HttpLimits? limits = null)
    {
        _connector = connector;
        _time = time;
        ConnectTimeout = connectTimeout;
        Timeout = timeout;
        Limits = limits ?? HttpLimits.Default;
    }

    /// <summary>For the TCP connection and TLS handshake.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <summary>For the whole exchange, connection included.</summary>
    public TimeSpan Timeout { get; }

    public HttpLimits Limits { get; }

    /// <summary>Sends <paramref name="request"/> to <paramref name="server"/> and reads the whole answer.</summary>
    /// <exception cref="HttpConnectionException">no connection, a failed handshake, a broken connection or a timeout.</exception>
    /// <exception cref="Http11ProtocolException">the request cannot be written, or the answer is malformed or too big.</exception>
    public async Task<HttpResponse> SendAsync(Uri server, HttpRequest request, CancellationToken ct)
    {
        var wire = HttpRequestEncoder.Encode(request);
        using var overall = new CancellationTokenSource(Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, overall.Token);
        Stream stream;
        using (var connecting = new CancellationTokenSource(ConnectTimeout, _time))
        using (var connectLinked = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, connecting.Token))
        {
            try
            {
                stream = await _connector.ConnectAsync(server, connectLinked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HttpConnectionException($"timed out connecting (after {Seconds(connecting.IsCancellationRequested ? ConnectTimeout : Timeout)})");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or AuthenticationException)
            {
                throw new HttpConnectionException(e.InnerException is AuthenticationException inner ? inner.Message : e.Message, e);
            }
        }
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                await stream.WriteAsync(wire, linked.Token).ConfigureAwait(false);
                await stream.FlushAsync(linked.Token).ConfigureAwait(false);
                return await ReadResponseAsync(stream, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new HttpConnectionException($"timed out (no complete answer after {Seconds(Timeout)})");
            }
            catch (IOException e)
            {
                throw new HttpConnectionException($"the connection broke: {e.Message}", e);
            }
        }
    }

    private async Task<HttpResponse> ReadResponseAsync(Stream stream, CancellationToken ct)
    {
        // The head: read until the empty line; what came after it is the body's start.
        var buffer = new byte[Math.Min(ReadSize, Limits.MaxHeadBytes)];
        var filled = 0;
        HttpResponseHead head;
        int consumed;
        while (true)
        {
            if (HttpResponseParser.TryParseHead(buffer.AsSpan(0, filled), Limits, out head, out consumed))
            {
                // An interim answer (1xx, e.g. 103 Early Hints) is followed by the real one; 101 would switch protocols.
                if (head.StatusCode is >= 100 and < 200)
                {
                    if (head.StatusCode == 101)
                    {
                        throw new Http11ProtocolException("the server switched protocols (101) without being asked");
                    }
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                    continue;
                }
                break;
            }
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, Limits.MaxHeadBytes));
            }
            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Http11ProtocolException(filled == 0
                    ? "the server closed the connection without an answer"
                    : $"the server closed the connection in the middle of the answer's header section (after {filled} bytes)");
            }
            filled += n;
        }
        var start = buffer.AsMemory(consumed, filled - consumed);
        var body = head.Framing switch
        {
            HttpBodyFraming.None => [],
            HttpBodyFraming.ContentLength => await ReadExactlyAsync(stream, start, (int)head.ContentLength, ct).ConfigureAwait(false),
            HttpBodyFraming.Chunked => await ReadChunkedAsync(stream, start, ct).ConfigureAwait(false),
            _ => await ReadToEndAsync(stream, start, ct).ConfigureAwait(false),
        };
        return new HttpResponse(head.StatusCode, head.ReasonPhrase, head.Headers, body);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, ReadOnlyMemory<byte> start, int length, CancellationToken ct)
    {
        var body = new byte[length];
        // Bytes past Content-Length (a misbehaving server) are ignored: the connection closes after this answer.
        var have = Math.Min(start.Length, length);
        start.Span[..have].CopyTo(body);
        while (have < length)
        {
            var n = await stream.ReadAsync(body.AsMemory(have), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Http11ProtocolException($"the server closed the connection after {have} of the {length} body bytes it announced");
            }
            have += n;
        }
        return body;
    }

    private async Task<byte[]> ReadChunkedAsync(Stream stream, ReadOnlyMemory<byte> start, CancellationToken ct)
    {
        var decoder = new HttpChunkedDecoder(Limits);
        var pending = new byte[ReadSize * 2];
        var filled = start.Length;
        if (filled > pending.Length)
        {
            pending = new byte[filled];
        }
        start.CopyTo(pending);
        while (true)
        {
            var used = decoder.Decode(pending.AsSpan(0, filled));
            if (decoder.IsComplete)
            {
                return decoder.Body.ToArray();
            }
            // Keep what the decoder could not use yet (part of a size line or a chunk's CRLF), then read more.
            pending.AsSpan(used, filled - used).CopyTo(pending);
            filled -= used;
            if (filled == pending.Length)
            {
                // The decoder keeps at most a size line (256 bytes) or a trailer line back: a full buffer is a long line.
                throw new Http11ProtocolException($"a line in the chunked body is longer than {pending.Length} bytes");
            }
            var n = await stream.ReadAsync(pending.AsMemory(filled), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new Http11ProtocolException($"the server closed the connection before the end of the chunked body (after {decoder.Body.Length} bytes)");
            }
            filled += n;
        }
    }

    private async Task<byte[]> ReadToEndAsync(Stream stream, ReadOnlyMemory<byte> start, CancellationToken ct)
    {
        var body = new ArrayBufferWriter<byte>(Math.Max(start.Length, 1024));
        body.Write(start.Span);
        while (true)
        {
            if (body.WrittenCount > Limits.MaxBodyBytes)
            {
                throw new Http11ProtocolException($"the answer's body is larger than the limit of {Limits.MaxBodyBytes} bytes");
            }
            var n = await stream.ReadAsync(body.GetMemory(ReadSize), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return body.WrittenSpan.ToArray();
            }
            body.Advance(n);
        }
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";
}
