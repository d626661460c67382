using System.Net;
using System.Net.Sockets;
using Appliance.Contracts;

namespace Appliance.Server.Domain;

/// <summary>
/// Address ranges as people type them: the one strict CIDR parser and overlap check of the server (network ranges,
/// egress ranges and the checks between them all use these).
/// </summary>
public static class Cidr
{
    /// <summary>Strict CIDR: address/prefix, prefix in range, no host bits set (a typo such as 10.0.0.5/24 is refused, not rounded).</summary>
    /// <param name="why">Why <paramref name="text"/> is refused, quoting it, or empty when it parsed.</param>
    public static bool TryParse(string text, out IPNetwork net, out string why)
    {
        net = default;
        why = string.Empty;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            why = $"'{text}' is not in CIDR notation (address/prefix, for example 10.10.0.0/24)";
            return false;
        }
        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address) || !int.TryParse(text.AsSpan(slash + 1), out var prefix))
        {
            why = $"'{text}' is not a valid CIDR range";
            return false;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix < 0 || prefix > bits)
        {
            why = $"'{text}' has a prefix length outside 0-{bits}";
            return false;
        }
        // IPNetwork.TryParse would quietly clear host bits; a typo like 10.0.0.5/24 deserves a question instead.
        var masked = IpPrefix.Mask(address, prefix);
        if (!masked.Equals(address))
        {
            why = $"'{text}' has host bits set; did you mean {masked}/{prefix}?";
            return false;
        }
        net = new IPNetwork(address, prefix);
        return true;
    }

    /// <summary>True when the two ranges share an address (one contains the other: CIDR ranges never partly overlap).</summary>
    public static bool Overlap(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);
}
