namespace Appliance.Dns.Wire;

/// <summary>
/// Domain names on the wire (RFC 1035 3.1 and 4.1.4 compression) and in presentation form: labels joined by dots,
/// no trailing dot, "." for the root; a dot or backslash inside a label is escaped as \. and \\, other bytes outside
/// printable ASCII as \DDD (RFC 4343). Comparisons are ASCII case-insensitive.
/// </summary>
public static class DnsName
{
    public const int MaxLength = 255;
    public const int MaxLabelLength = 63;
    public const string Root = ".";

    /// <summary>
    /// Follows the name at <paramref name="offset"/> and copies it uncompressed (labels and the final zero) into
    /// <paramref name="dst"/> (at least 255 bytes). A pointer must point strictly backwards, which rules out loops and
    /// pointers beyond the message; the expanded name may not exceed 255 bytes.
    /// </summary>
    /// <param name="end">The offset just after the name where it starts (after the first pointer, if any).</param>
    public static DnsNameError TryDecode(ReadOnlySpan<byte> msg, int offset, Span<byte> dst, out int wireLength, out int end)
    {
        wireLength = 0;
        end = -1;
        var pos = offset;
        while (true)
        {
            if (pos >= msg.Length)
            {
                return DnsNameError.Truncated;
            }
            var len = msg[pos];
            switch (len & 0xC0)
            {
                case 0x00:
                    if (len == 0)
                    {
                        if (wireLength + 1 > MaxLength)
                        {
                            return DnsNameError.NameTooLong;
                        }
                        dst[wireLength++] = 0;
                        if (end < 0)
                        {
                            end = pos + 1;
                        }
                        return DnsNameError.None;
                    }
                    if (pos + 1 + len > msg.Length)
                    {
                        return DnsNameError.Truncated;
                    }
                    // Room for this label and at least the root byte after it.
                    if (wireLength + 1 + len + 1 > MaxLength)
                    {
                        return DnsNameError.NameTooLong;
                    }
                    msg.Slice(pos, 1 + len).CopyTo(dst[wireLength..]);
                    wireLength += 1 + len;
                    pos += 1 + len;
                    break;
                case 0xC0:
                    if (pos + 1 >= msg.Length)
                    {
                        return DnsNameError.Truncated;
                    }
                    var target = ((len & 0x3F) << 8) | msg[pos + 1];
                    if (target >= msg.Length)
                    {
                        return DnsNameError.PointerOutOfBounds;
                    }
                    // Strictly backwards: every hop moves to an earlier byte, so a loop is impossible.
                    if (target >= pos)
                    {
                        return DnsNameError.PointerNotBackward;
                    }
                    if (end < 0)
                    {
                        end = pos + 2;
                    }
                    pos = target;
                    break;
                default:
                    // 0x40 and 0x80 label types (RFC 6891 5, RFC 2673) are not in use.
                    return len is > 0x3F and < 0x80 ? DnsNameError.LabelTooLong : DnsNameError.ReservedLabelType;
            }
        }
    }

    /// <summary>Skips the name at <paramref name="offset"/>, validating it, and returns the offset after it.</summary>
    public static DnsNameError TrySkip(ReadOnlySpan<byte> msg, int offset, out int end)
    {
        Span<byte> scratch = stackalloc byte[MaxLength];
        return TryDecode(msg, offset, scratch, out _, out end);
    }

    /// <summary>Reads the (possibly compressed) name at <paramref name="offset"/> and advances past it.</summary>
    public static string Read(ReadOnlySpan<byte> msg, ref int offset)
    {
        Span<byte> wire = stackalloc byte[MaxLength];
        var err = TryDecode(msg, offset, wire, out var len, out var end);
        if (err != DnsNameError.None)
        {
            throw new DnsFormatException($"bad name at offset {offset}: {err}");
        }
        offset = end;
        return ToPresentation(wire[..len]);
    }

    /// <summary>Presentation form of an uncompressed wire name.</summary>
    public static string ToPresentation(ReadOnlySpan<byte> wire)
    {
        Span<char> chars = stackalloc char[MaxPresentationLength];
        return new string(chars[..WritePresentation(wire, chars)]);
    }

    /// <summary>The longest presentation form: every byte escaped as \DDD.</summary>
    public const int MaxPresentationLength = MaxLength * 4;

    /// <summary>Writes the presentation form of an uncompressed wire name into <paramref name="dst"/> (allocation-free).</summary>
    public static int WritePresentation(ReadOnlySpan<byte> wire, Span<char> dst)
    {
        if (wire.Length <= 1)
        {
            dst[0] = '.';
            return 1;
        }
        var n = 0;
        var pos = 0;
        while (wire[pos] != 0)
        {
            int len = wire[pos];
            if (n > 0)
            {
                dst[n++] = '.';
            }
            foreach (var b in wire.Slice(pos + 1, len))
            {
                if (b is (byte)'.' or (byte)'\\')
                {
                    dst[n++] = '\\';
                    dst[n++] = (char)b;
                }
                else if (b is < 0x21 or > 0x7E)
                {
                    dst[n++] = '\\';
                    dst[n++] = (char)('0' + (b / 100));
                    dst[n++] = (char)('0' + (b / 10 % 10));
                    dst[n++] = (char)('0' + (b % 10));
                }
                else
                {
                    dst[n++] = (char)b;
                }
            }
            pos += 1 + len;
        }
        return n;
    }

    /// <summary>Encodes a presentation name uncompressed into <paramref name="dst"/>; returns the byte count.</summary>
    /// <exception cref="ArgumentException">The name is not a valid domain name (empty label, label over 63, name over 255, bad escape).</exception>
    public static int Encode(string name, Span<byte> dst)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!TryEncode(name, dst, out var len, out var error))
        {
            throw new ArgumentException($"invalid domain name '{name}': {error}", nameof(name));
        }
        return len;
    }

    /// <summary>Encodes a presentation name; false with a reason when it is not a valid name.</summary>
    public static bool TryEncode(string name, Span<byte> dst, out int length, out string error)
    {
        length = 0;
        error = "";
        if (name is "." or "")
        {
            if (dst.Length < 1)
            {
                error = "buffer too small";
                return false;
            }
            dst[0] = 0;
            length = 1;
            return true;
        }
        var s = name.EndsWith('.') && !name.EndsWith("\\.", StringComparison.Ordinal) ? name[..^1] : name;
        var pos = 0;
        var labelStart = 0;
        Span<byte> buf = stackalloc byte[MaxLength + 64];
        var i = 0;
        buf[pos++] = 0;
        while (i <= s.Length)
        {
            if (i == s.Length || s[i] == '.')
            {
                var labelLen = pos - labelStart - 1;
                if (labelLen == 0)
                {
                    error = "empty label";
                    return false;
                }
                if (labelLen > MaxLabelLength)
                {
                    error = $"label longer than {MaxLabelLength} bytes";
                    return false;
                }
                buf[labelStart] = (byte)labelLen;
                if (i == s.Length)
                {
                    break;
                }
                labelStart = pos;
                buf[pos++] = 0;
                i++;
                continue;
            }
            if (pos >= MaxLength + 62)
            {
                error = $"name longer than {MaxLength} bytes";
                return false;
            }
            var c = s[i];
            if (c == '\\')
            {
                if (i + 1 >= s.Length)
                {
                    error = "dangling escape";
                    return false;
                }
                if (char.IsAsciiDigit(s[i + 1]))
                {
                    if (i + 3 >= s.Length || !char.IsAsciiDigit(s[i + 2]) || !char.IsAsciiDigit(s[i + 3]))
                    {
                        error = "bad \\DDD escape";
                        return false;
                    }
                    var v = ((s[i + 1] - '0') * 100) + ((s[i + 2] - '0') * 10) + (s[i + 3] - '0');
                    if (v > 255)
                    {
                        error = "bad \\DDD escape";
                        return false;
                    }
                    buf[pos++] = (byte)v;
                    i += 4;
                    continue;
                }
                c = s[i + 1];
                i++;
            }
            if (c > 0x7F)
            {
                error = "non-ASCII character (use punycode)";
                return false;
            }
            buf[pos++] = (byte)c;
            i++;
        }
        buf[pos++] = 0;
        if (pos > MaxLength)
        {
            error = $"name longer than {MaxLength} bytes";
            return false;
        }
        if (dst.Length < pos)
        {
            error = "buffer too small";
            return false;
        }
        buf[..pos].CopyTo(dst);
        length = pos;
        return true;
    }

    /// <summary>True when <paramref name="name"/> equals <paramref name="zone"/> or lies below it (case-insensitive).</summary>
    public static bool IsSubdomainOf(ReadOnlySpan<char> name, ReadOnlySpan<char> zone)
    {
        if (zone is "." || zone.IsEmpty)
        {
            return true;
        }
        if (name.Length == zone.Length)
        {
            return name.Equals(zone, StringComparison.OrdinalIgnoreCase);
        }
        return name.Length > zone.Length
            && name[name.Length - zone.Length - 1] == '.'
            && name[^zone.Length..].Equals(zone, StringComparison.OrdinalIgnoreCase)
            && !IsEscaped(name, name.Length - zone.Length - 1);
    }

    /// <summary>The canonical key of a name: presentation form, lower-case ASCII, no trailing dot.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Length > 1 && name.EndsWith('.') && !name.EndsWith("\\.", StringComparison.Ordinal) ? name[..^1] : name;
        return n.ToLowerInvariant();
    }

    private static bool IsEscaped(ReadOnlySpan<char> s, int index)
    {
        var backslashes = 0;
        for (var i = index - 1; i >= 0 && s[i] == '\\'; i--)
        {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }
}
