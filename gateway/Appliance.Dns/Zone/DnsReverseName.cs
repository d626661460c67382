using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Dns.Zone;

/// <summary>Reverse-mapping names: a.b.c.d.in-addr.arpa (RFC 1035 3.5) and nibble.ip6.arpa (RFC 3596 2.5).</summary>
public static class DnsReverseName
{
    public static string For(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{b[3]}.{b[2]}.{b[1]}.{b[0]}.in-addr.arpa");
        }
        var sb = new StringBuilder(72);
        for (var i = 15; i >= 0; i--)
        {
            sb.Append(Hex(b[i] & 0xF)).Append('.').Append(Hex(b[i] >> 4)).Append('.');
        }
        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>The reverse zone that holds a prefix, rounded out to whole octets (IPv4) or nibbles (IPv6).</summary>
    public static string ZoneFor(IPNetwork range)
    {
        var b = range.BaseAddress.GetAddressBytes();
        var sb = new StringBuilder();
        if (range.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            for (var i = (range.PrefixLength / 8) - 1; i >= 0; i--)
            {
                sb.Append(b[i].ToString(CultureInfo.InvariantCulture)).Append('.');
            }
            return sb.Append("in-addr.arpa").ToString();
        }
        for (var n = (range.PrefixLength / 4) - 1; n >= 0; n--)
        {
            var v = b[n / 2];
            sb.Append(Hex(n % 2 == 0 ? v >> 4 : v & 0xF)).Append('.');
        }
        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>Parses a full reverse name (all 4 octets or 32 nibbles) back to its address.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out IPAddress? address)
    {
        address = null;
        if (name.EndsWith(".in-addr.arpa", StringComparison.OrdinalIgnoreCase))
        {
            var s = name[..^".in-addr.arpa".Length];
            Span<byte> b = stackalloc byte[4];
            var i = 3;
            foreach (var r in s.Split('.'))
            {
                if (i < 0 || !byte.TryParse(s[r], NumberStyles.None, CultureInfo.InvariantCulture, out b[i]) || (s[r].Length > 1 && s[r][0] == '0'))
                {
                    return false;
                }
                i--;
            }
            if (i != -1)
            {
                return false;
            }
            address = new IPAddress(b);
            return true;
        }
        if (name.EndsWith(".ip6.arpa", StringComparison.OrdinalIgnoreCase) && name.Length == 64 + ".ip6.arpa".Length - 1)
        {
            Span<byte> b = stackalloc byte[16];
            for (var n = 0; n < 32; n++)
            {
                var c = name[n * 2];
                if (name[(n * 2) + 1] != '.')
                {
                    return false;
                }
                var v = HexValue(c);
                if (v < 0)
                {
                    return false;
                }
                var byteIndex = 15 - (n / 2);
                b[byteIndex] |= (byte)(n % 2 == 0 ? v : v << 4);
            }
            address = new IPAddress(b);
            return true;
        }
        return false;
    }

    private static char Hex(int v) => (char)(v < 10 ? '0' + v : 'a' + v - 10);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
