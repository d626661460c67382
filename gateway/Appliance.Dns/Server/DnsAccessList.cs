using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Dns.Server;

/// <summary>
/// The source ranges allowed to ask (mesh and ext-client ranges plus loopback), checked straight from a socket
/// address without allocating. IPv4-mapped IPv6 sources are checked as IPv4.
/// </summary>
public sealed class DnsAccessList
{
    private readonly (uint Net, uint Mask)[] _v4;
    private readonly (UInt128 Net, UInt128 Mask)[] _v6;

    public DnsAccessList(IEnumerable<IPNetwork> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var all = ranges.Concat([new IPNetwork(IPAddress.Loopback, 8), new IPNetwork(IPAddress.IPv6Loopback, 128)]).Distinct().ToArray();
        Ranges = all;
        _v4 = [.. all.Where(r => r.BaseAddress.AddressFamily == AddressFamily.InterNetwork).Select(r =>
        {
            var mask = r.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - r.PrefixLength);
            return (V4(r.BaseAddress.GetAddressBytes()) & mask, mask);
        })];
        _v6 = [.. all.Where(r => r.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6).Select(r =>
        {
            var mask = r.PrefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - r.PrefixLength);
            return (V6(r.BaseAddress.GetAddressBytes()) & mask, mask);
        })];
    }

    public IReadOnlyList<IPNetwork> Ranges { get; }

    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var b = address.GetAddressBytes();
        return b.Length == 4 ? IsAllowedV4(V4(b)) : IsAllowedV6(V6(b));
    }

    /// <summary>Checks a raw socket address (Linux sockaddr_in / sockaddr_in6 layout, as in <see cref="SocketAddress"/>).</summary>
    public bool IsAllowed(SocketAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var b = address.Buffer.Span;
        if (address.Family == AddressFamily.InterNetwork)
        {
            return IsAllowedV4(V4(b.Slice(4, 4)));
        }
        if (address.Family == AddressFamily.InterNetworkV6)
        {
            var a = b.Slice(8, 16);
            // ::ffff:a.b.c.d
            if (a[..10].IndexOfAnyExcept((byte)0) < 0 && a[10] == 0xFF && a[11] == 0xFF)
            {
                return IsAllowedV4(V4(a[12..]));
            }
            return IsAllowedV6(V6(a));
        }
        return false;
    }

    private bool IsAllowedV4(uint a)
    {
        foreach (var (net, mask) in _v4)
        {
            if ((a & mask) == net)
            {
                return true;
            }
        }
        return false;
    }

    private bool IsAllowedV6(UInt128 a)
    {
        foreach (var (net, mask) in _v6)
        {
            if ((a & mask) == net)
            {
                return true;
            }
        }
        return false;
    }

    private static uint V4(ReadOnlySpan<byte> b) => BinaryPrimitives.ReadUInt32BigEndian(b);

    private static UInt128 V6(ReadOnlySpan<byte> b) => BinaryPrimitives.ReadUInt128BigEndian(b);
}
