using System.Text;

namespace Appliance.Agent.Http;

/// <summary>Writes an <see cref="HttpRequest"/> as HTTP/1.1 bytes (RFC 9112 3 and 5), refusing anything that could split it.</summary>
public static class HttpRequestEncoder
{
    /// <summary>
    /// The request line, Host, the caller's fields, Content-Length when there is a body, Connection: close (one request
    /// per connection: the agent makes a handful an hour, and an idle pooled connection is memory for nothing), the body.
    /// </summary>
    /// <exception cref="Http11ProtocolException">a method, target, authority or field that is empty or holds a byte HTTP does not allow there.</exception>
    public static byte[] Encode(HttpRequest request)
    {
        if (request.Method.Length == 0 || !IsToken(request.Method))
        {
            throw new Http11ProtocolException($"the request method '{request.Method}' is not an HTTP token");
        }
        // Origin form (RFC 9112 3.2.1): an absolute path and an optional query, visible ASCII only (no space, CR or LF).
        if (!request.Target.StartsWith('/') || !IsVisibleAscii(request.Target))
        {
            throw new Http11ProtocolException($"the request target '{request.Target}' is not an absolute path of visible ASCII characters");
        }
        if (request.Authority.Length == 0 || !IsVisibleAscii(request.Authority) || request.Authority.AsSpan().IndexOfAny('/', '@') >= 0)
        {
            throw new Http11ProtocolException($"the Host '{request.Authority}' is not a host[:port] of visible ASCII characters");
        }
        var head = new StringBuilder(128 + request.Target.Length);
        head.Append(request.Method).Append(' ').Append(request.Target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(request.Authority).Append("\r\n");
        foreach (var (name, value) in request.Headers)
        {
            if (name.Length == 0 || !IsToken(name))
            {
                throw new Http11ProtocolException($"the header name '{name}' is not an HTTP token");
            }
            if (IsFramingField(name))
            {
                throw new Http11ProtocolException($"the header '{name}' is written by the encoder, not the caller");
            }
            if (!IsFieldValue(value))
            {
                throw new Http11ProtocolException($"the value of header '{name}' holds a control character or a non-ASCII character");
            }
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (request.Body is not null)
        {
            head.Append("Content-Length: ").Append(request.Body.Length).Append("\r\n");
        }
        head.Append("Connection: close\r\n\r\n");
        var headLength = Encoding.ASCII.GetByteCount(head.ToString());
        var wire = new byte[headLength + (request.Body?.Length ?? 0)];
        Encoding.ASCII.GetBytes(head.ToString(), wire);
        request.Body?.CopyTo(wire, headLength);
        return wire;
    }

    private static bool IsFramingField(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    internal static bool IsToken(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsVisibleAscii(string s)
    {
        foreach (var c in s)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    // RFC 9110 5.5: field-value is VCHAR, SP and HTAB (obs-text is allowed to receive, not worth sending).
    private static bool IsFieldValue(string s)
    {
        foreach (var c in s)
        {
            if (c != '\t' && c is < ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
