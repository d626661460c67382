using System.Text;

namespace Appliance.Agent.Http;

/// <summary>Parses an HTTP/1.x answer's head (RFC 9112 4 and 5) from the bytes read so far; strict CRLF, bounded by <see cref="HttpLimits"/>.</summary>
public static class HttpResponseParser
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>
    /// The head, if <paramref name="input"/> holds all of it (<paramref name="consumed"/> is its length with the empty
    /// line); false if more bytes are needed.
    /// </summary>
    /// <exception cref="Http11ProtocolException">the head is malformed, or larger than the limits allow.</exception>
    public static bool TryParseHead(ReadOnlySpan<byte> input, HttpLimits limits, out HttpResponseHead head, out int consumed)
    {
        var end = input[..Math.Min(input.Length, limits.MaxHeadBytes)].IndexOf(EndOfHead);
        if (end < 0)
        {
            if (input.Length >= limits.MaxHeadBytes)
            {
                throw new Http11ProtocolException($"the answer's header section is larger than {limits.MaxHeadBytes} bytes");
            }
            head = null!;
            consumed = 0;
            return false;
        }
        consumed = end + EndOfHead.Length;
        var lines = input[..end];
        var eol = lines.IndexOf("\r\n"u8);
        var statusLine = eol < 0 ? lines : lines[..eol];
        var (status, reason) = ParseStatusLine(statusLine);
        var headers = new List<KeyValuePair<string, string>>();
        var rest = eol < 0 ? [] : lines[(eol + 2)..];
        while (!rest.IsEmpty)
        {
            eol = rest.IndexOf("\r\n"u8);
            var line = eol < 0 ? rest : rest[..eol];
            rest = eol < 0 ? [] : rest[(eol + 2)..];
            if (headers.Count == limits.MaxHeaderCount)
            {
                throw new Http11ProtocolException($"the answer has more than {limits.MaxHeaderCount} header fields");
            }
            headers.Add(ParseField(line));
        }
        var (framing, length) = Framing(status, headers, limits);
        head = new HttpResponseHead(status, reason, headers, framing, length);
        return true;
    }

    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    private static (int Status, string Reason) ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !(line.StartsWith("HTTP/1.1 "u8) || line.StartsWith("HTTP/1.0 "u8)))
        {
            throw new Http11ProtocolException($"the answer does not start with an HTTP/1.x status line: '{Printable(line[..Math.Min(line.Length, 40)])}'");
        }
        var code = line[9..12];
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2])
            || code[0] is < (byte)'1' or > (byte)'5' || (line.Length > 12 && line[12] != ' '))
        {
            throw new Http11ProtocolException($"the answer's status code '{Printable(code)}' is not three digits from 100 to 599");
        }
        var reason = line.Length > 13 ? line[13..] : [];
        if (!IsFieldText(reason))
        {
            throw new Http11ProtocolException("the answer's reason phrase holds a control character");
        }
        return ((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'), Encoding.Latin1.GetString(reason));
    }

    // field-line = field-name ":" OWS field-value OWS; no space before the colon, no obs-fold (RFC 9112 5.1, 5.2).
    private static KeyValuePair<string, string> ParseField(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new Http11ProtocolException(line.Length > 0 && line[0] is (byte)' ' or (byte)'\t'
                ? "the answer has a folded header line (obs-fold)"
                : $"the answer has a header line without a name and colon: '{Printable(line[..Math.Min(line.Length, 40)])}'");
        }
        var name = Encoding.ASCII.GetString(line[..colon]);
        if (!HttpRequestEncoder.IsToken(name))
        {
            throw new Http11ProtocolException($"the answer's header name '{Printable(line[..Math.Min(colon, 40)])}' is not an HTTP token");
        }
        var value = line[(colon + 1)..].Trim(" \t"u8);
        if (!IsFieldText(value))
        {
            throw new Http11ProtocolException($"the answer's header '{name}' holds a control character");
        }
        return new(name, Encoding.Latin1.GetString(value));
    }

    private static (HttpBodyFraming, long) Framing(int status, List<KeyValuePair<string, string>> headers, HttpLimits limits)
    {
        string? transferEncoding = null;
        long? length = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                transferEncoding = transferEncoding is null ? value : transferEncoding + ", " + value;
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                var parsed = ContentLength(value, limits);
                if (length is { } earlier && earlier != parsed)
                {
                    throw new Http11ProtocolException($"the answer has two different Content-Length fields ({earlier} and {parsed})");
                }
                length = parsed;
            }
        }
        if (status is < 200 or 204 or 304)
        {
            return (HttpBodyFraming.None, 0);
        }
        if (transferEncoding is not null)
        {
            // A sender must not send both (RFC 9112 6.3 item 3): an answer with both is treated as the error it is.
            if (length is not null)
            {
                throw new Http11ProtocolException("the answer has both Transfer-Encoding and Content-Length");
            }
            if (!transferEncoding.Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new Http11ProtocolException($"the answer's Transfer-Encoding '{transferEncoding}' is not supported (only chunked)");
            }
            return (HttpBodyFraming.Chunked, 0);
        }
        return length is { } n ? (HttpBodyFraming.ContentLength, n) : (HttpBodyFraming.UntilClose, 0);
    }

    private static long ContentLength(string value, HttpLimits limits)
    {
        if (value.Length is 0 or > 18 || !value.All(char.IsAsciiDigit))
        {
            throw new Http11ProtocolException($"the answer's Content-Length '{value}' is not a number");
        }
        var n = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        if (n > limits.MaxBodyBytes)
        {
            throw new Http11ProtocolException($"the answer's body ({n} bytes) is larger than the limit of {limits.MaxBodyBytes} bytes");
        }
        return n;
    }

    // VCHAR, SP, HTAB and obs-text (RFC 9110 5.5); no other control characters.
    private static bool IsFieldText(ReadOnlySpan<byte> s)
    {
        foreach (var b in s)
        {
            if (b != (byte)'\t' && b is < 0x20 or 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    internal static string Printable(ReadOnlySpan<byte> s)
    {
        var chars = new char[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            chars[i] = s[i] is >= 0x20 and < 0x7F ? (char)s[i] : '?';
        }
        return new string(chars);
    }
}
