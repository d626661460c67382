using System.Net;
using System.Net.Sockets;

namespace Appliance.Server.Ipam;

/// <summary>
/// Picks the lowest free host address of a range (pure). IPv4 never yields the network or broadcast
/// address; IPv6 never yields the subnet-router anycast address (RFC 4291 2.6.1), i.e. the all-zero host.
/// <see cref="Allocate"/> scans a taken set (O(N)); the store keeps an <see cref="AddressPool"/> per network instead,
/// which gives the same answer without the scan.
/// </summary>
public static class AddressAllocator
{
    public static IPAddress Allocate(IPNetwork range, IReadOnlySet<IPAddress> taken)
    {
        var first = ToNumber(range.BaseAddress) + 1;
        var count = HostCount(range);
        // At most |taken| + 1 candidates need a look: the rest are free by pigeonhole.
        var limit = (UInt128)taken.Count + 1;
        for (UInt128 i = 0; i < count && i < limit; i++)
        {
            var candidate = FromNumber(first + i, range.BaseAddress.AddressFamily);
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
        throw new IpamExhaustedException(range);
    }

    /// <summary>
    /// How many candidates follow the network address: all of them for IPv6 (capped at 2^128-1), all but the
    /// broadcast address for IPv4.
    /// </summary>
    internal static UInt128 HostCount(IPNetwork range)
    {
        var hostBits = (range.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - range.PrefixLength;
        var count = hostBits >= 127 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return range.BaseAddress.AddressFamily == AddressFamily.InterNetwork && count > 0 ? count - 1 : count;
    }

    /// <summary>Usable host addresses in a range (for messages and tests).</summary>
    public static UInt128 UsableCount(IPNetwork range)
    {
        var hostBits = (range.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - range.PrefixLength;
        var all = hostBits >= 128 ? UInt128.MaxValue : UInt128.One << hostBits;
        return range.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? (all >= 2 ? all - 2 : 0) : all - 1;
    }

    internal static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var written);
        UInt128 n = 0;
        for (var i = 0; i < written; i++)
        {
            n = (n << 8) | b[i];
        }
        return n;
    }

    internal static IPAddress FromNumber(UInt128 n, AddressFamily family)
    {
        var len = family == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> b = stackalloc byte[len];
        for (var i = len - 1; i >= 0; i--)
        {
            b[i] = (byte)(n & 0xff);
            n >>= 8;
        }
        return new IPAddress(b);
    }
}
