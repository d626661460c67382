using System.Net.Sockets;

namespace Appliance.WireGuard;

/// <summary>Checks a plan before anything is sent, so a bad plan never leaves a device half-configured.</summary>
public static class WgPlanValidator
{
    public static void Validate(WgDevicePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.ListenPort is { } port && (port < 0 || port > 65535))
        {
            throw new WgPlanValidationException($"listen port {port} is outside 0..65535");
        }
        var seen = new HashSet<Contracts.WgKey>();
        foreach (var p in plan.Peers)
        {
            if (p.PublicKey.IsZero)
            {
                throw new WgPlanValidationException("peer public key is all zeros");
            }
            if (!seen.Add(p.PublicKey))
            {
                throw new WgPlanValidationException($"peer {p.PublicKey} appears twice in one plan");
            }
            if (p.PersistentKeepalive is { } ka && (ka < 0 || ka > 65535))
            {
                throw new WgPlanValidationException($"peer {p.PublicKey}: persistent keepalive {ka} is outside 0..65535");
            }
            if (p.Endpoint is { } ep && (ep.Port == 0 || ep.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)))
            {
                throw new WgPlanValidationException($"peer {p.PublicKey}: endpoint {ep} needs an IPv4/IPv6 address and a non-zero port");
            }
            if (p.Remove && (p.AllowedIPs.Count > 0 || p.Endpoint is not null))
            {
                throw new WgPlanValidationException($"peer {p.PublicKey}: a removal cannot also set fields");
            }
        }
    }
}
