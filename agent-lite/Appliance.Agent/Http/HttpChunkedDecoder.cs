using System.Buffers;

namespace Appliance.Agent.Http;

/// <summary>
/// Decodes a chunked body (RFC 9112 7.1) as its bytes arrive: each <see cref="Decode"/> takes what it can use and says
/// how much; the data goes to <see cref="Body"/>. No I/O. Chunk extensions and trailer fields are read and dropped.
/// </summary>
public sealed class HttpChunkedDecoder(HttpLimits limits)
{
    // A size line is hex digits and an optional extension; nothing the agent talks to sends more than a few bytes.
    private const int MaxSizeLine = 256;

    private enum Part { Size, Data, DataEnd, Trailer, Done }

    private readonly ArrayBufferWriter<byte> _body = new();
    private Part _part = Part.Size;
    private long _remaining;
    private int _trailerBytes;

    public bool IsComplete => _part == Part.Done;

    public ReadOnlySpan<byte> Body => _body.WrittenSpan;

    /// <summary>Decodes from the start of <paramref name="input"/>; returns how many bytes it used (the rest must be passed again with more).</summary>
    /// <exception cref="Http11ProtocolException">a malformed size line or chunk end, or a body or trailer past the limits.</exception>
    public int Decode(ReadOnlySpan<byte> input)
    {
        var used = 0;
        while (_part != Part.Done)
        {
            var rest = input[used..];
            switch (_part)
            {
                case Part.Size:
                {
                    var eol = rest.IndexOf("\r\n"u8);
                    if (eol < 0)
                    {
                        if (rest.Length > MaxSizeLine)
                        {
                            throw new Http11ProtocolException($"a chunk size line is longer than {MaxSizeLine} bytes");
                        }
                        return used;
                    }
                    if (eol > MaxSizeLine)
                    {
                        throw new Http11ProtocolException($"a chunk size line is longer than {MaxSizeLine} bytes");
                    }
                    _remaining = ChunkSize(rest[..eol]);
                    if (_body.WrittenCount + _remaining > limits.MaxBodyBytes)
                    {
                        throw new Http11ProtocolException($"the answer's chunked body is larger than the limit of {limits.MaxBodyBytes} bytes");
                    }
                    used += eol + 2;
                    _part = _remaining == 0 ? Part.Trailer : Part.Data;
                    break;
                }
                case Part.Data:
                {
                    var take = (int)Math.Min(_remaining, rest.Length);
                    if (take == 0)
                    {
                        return used;
                    }
                    _body.Write(rest[..take]);
                    _remaining -= take;
                    used += take;
                    if (_remaining == 0)
                    {
                        _part = Part.DataEnd;
                    }
                    break;
                }
                case Part.DataEnd:
                    if (rest.Length < 2)
                    {
                        return used;
                    }
                    if (!rest.StartsWith("\r\n"u8))
                    {
                        throw new Http11ProtocolException("a chunk's data is not followed by CRLF (the chunk is longer than its size line says)");
                    }
                    used += 2;
                    _part = Part.Size;
                    break;
                case Part.Trailer:
                {
                    // trailer-section = *( field-line CRLF ) CRLF
                    var eol = rest.IndexOf("\r\n"u8);
                    if (eol < 0)
                    {
                        if (_trailerBytes + rest.Length > limits.MaxHeadBytes)
                        {
                            throw new Http11ProtocolException($"the answer's trailer section is larger than {limits.MaxHeadBytes} bytes");
                        }
                        return used;
                    }
                    _trailerBytes += eol + 2;
                    if (_trailerBytes > limits.MaxHeadBytes)
                    {
                        throw new Http11ProtocolException($"the answer's trailer section is larger than {limits.MaxHeadBytes} bytes");
                    }
                    used += eol + 2;
                    if (eol == 0)
                    {
                        _part = Part.Done;
                    }
                    break;
                }
            }
        }
        return used;
    }

    // chunk-size = 1*HEXDIG, then optional chunk-ext (";" ...), which is ignored.
    private static long ChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon < 0 ? line : line[..semicolon]).TrimEnd(" \t"u8);
        if (digits.IsEmpty || digits.Length > 8)
        {
            throw new Http11ProtocolException($"the chunk size '{HttpResponseParser.Printable(digits)}' is not 1 to 8 hex digits");
        }
        long size = 0;
        foreach (var b in digits)
        {
            var d = HexValue(b);
            if (d < 0)
            {
                throw new Http11ProtocolException($"the chunk size '{HttpResponseParser.Printable(digits)}' is not 1 to 8 hex digits");
            }
            size = size * 16 + d;
        }
        return size;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
