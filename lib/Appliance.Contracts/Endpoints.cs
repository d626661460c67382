using System.Net;

namespace Appliance.Contracts;

/// <summary>Parses the endpoint strings nodes report: "IP" or "IP:port" / "[IPv6]:port".</summary>
public static class Endpoints
{
    public static bool TryParse(string? text, ushort defaultPort, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        if (IPAddress.TryParse(text, out var bare) && !text.Contains(']', StringComparison.Ordinal))
        {
            // A bare IPv6 address parses here too ("fd00::1"); a bare IPv4 with ":port" does not.
            if (bare.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || !text.Contains(':', StringComparison.Ordinal))
            {
                endpoint = new IPEndPoint(bare, defaultPort);
                return defaultPort != 0;
            }
        }
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0)
        {
            endpoint = ep;
            return true;
        }
        return false;
    }

    /// <summary>"host:port", with brackets for IPv6, as <c>wg</c> writes endpoints.</summary>
    public static string Format(IPEndPoint endpoint) => endpoint.ToString();
}
