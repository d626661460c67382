using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;
using Appliance.Server.Domain;

namespace Appliance.Server.Services.Validation;

/// <summary>Pure checks of network fields; each failure names the field.</summary>
public static class NetworkValidation
{
    public const int DefaultListenPort = 51821;
    public const int DefaultMtu = 1420;
    public const int DefaultKeepalive = 20;

    public static void Name(string? name, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Add("name", "is required");
        }
        else if (!Names.IsDnsLabel(name))
        {
            errors.Add("name", "must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
        }
    }

    public static IPNetwork? Ipv4(string? text, ValidationErrors errors, bool required)
    {
        const string field = "ipv4Cidr";
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                errors.Add(field, "is required (for example 10.10.0.0/24)");
            }
            return null;
        }
        if (!Cidr.TryParse(text, out var net, out var why))
        {
            errors.Add(field, why);
            return null;
        }
        if (net.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            errors.Add(field, $"'{text}' is not an IPv4 range");
            return null;
        }
        if (net.PrefixLength > 30)
        {
            errors.Add(field, $"'{text}' leaves no room for nodes: use a prefix of /30 or shorter");
            return null;
        }
        var first = net.BaseAddress.GetAddressBytes()[0];
        if (first == 0 || first == 127 || first >= 224 || (first == 169 && net.BaseAddress.GetAddressBytes()[1] == 254) || net.PrefixLength < 8)
        {
            errors.Add(field, $"'{text}' is not a usable unicast range (loopback, link-local, multicast, reserved, or wider than /8)");
            return null;
        }
        return net;
    }

    public static IPNetwork? Ipv6(string? text, ValidationErrors errors)
    {
        const string field = "ipv6Cidr";
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (!Cidr.TryParse(text, out var net, out var why))
        {
            errors.Add(field, why);
            return null;
        }
        if (net.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6)
        {
            errors.Add(field, $"'{text}' is not an IPv6 range");
            return null;
        }
        var b = net.BaseAddress;
        if (net.PrefixLength > 126 || net.PrefixLength < 16 || b.IsIPv6Multicast || b.IsIPv6LinkLocal || b.IsIPv4MappedToIPv6 || IPAddress.IPv6Any.Equals(b))
        {
            errors.Add(field, $"'{text}' is not a usable unicast range (use /16 to /126, not multicast, link-local or ::)");
            return null;
        }
        return net;
    }

    public static void Settings(int? listenPort, int? mtu, int? keepalive, bool hasIpv6, ValidationErrors errors)
    {
        if (listenPort is { } p && p is < 1 or > 65535)
        {
            errors.Add("listenPort", "must be 1-65535");
        }
        var minMtu = hasIpv6 ? 1280 : 576;
        if (mtu is { } m && (m < minMtu || m > 9000))
        {
            errors.Add("mtu", $"must be {minMtu}-9000{(hasIpv6 ? " (IPv6 needs at least 1280)" : "")}");
        }
        if (keepalive is { } k && k is < 0 or > 65535)
        {
            errors.Add("keepalive", "must be 0 (off) to 65535 seconds");
        }
    }

    /// <summary>Adds a conflict for each existing network whose range overlaps the new one.</summary>
    public static void Overlaps(string name, IPNetwork? v4, IPNetwork? v6, IEnumerable<NetworkRecord> others, ValidationErrors conflicts)
    {
        foreach (var other in others)
        {
            if (other.Name == name)
            {
                continue;
            }
            if (v4 is { } a && Cidr.Overlap(a, other.Ipv4Cidr))
            {
                conflicts.Add("ipv4Cidr", $"{a} overlaps network '{other.Name}' ({other.Ipv4Cidr})");
            }
            if (v6 is { } b && other.Ipv6Cidr is { } o6 && Cidr.Overlap(b, o6))
            {
                conflicts.Add("ipv6Cidr", $"{b} overlaps network '{other.Name}' ({o6})");
            }
        }
    }
}
