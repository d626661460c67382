using Appliance.Contracts.Api;
using Appliance.Gateway.Model;

namespace Appliance.Agent.Mesh;

/// <summary>
/// Keeps a bad access-policy filter out of the node's desired state (pure): when the filter of a new state does not
/// validate (a bad CIDR, an unknown protocol, a port range out of bounds, too many rules), the whole filter is refused
/// and the one the node enforced before stays, while the rest of the new state (peers, interface, roles) is taken. So
/// a bad filter never opens the firewall and never leaves half a ruleset.
/// </summary>
public static class MeshFilterGuard
{
    /// <summary>
    /// <paramref name="next"/> as it may be applied: unchanged when its filter is valid (or absent), otherwise with the
    /// filter of <paramref name="current"/>; <paramref name="refusal"/> then says what was wrong, for the log.
    /// </summary>
    public static NodeConfigDto Settle(NodeConfigDto? current, NodeConfigDto next, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(next);
        refusal = null;
        if (next.Filter is null || ReferenceEquals(next.Filter, current?.Filter))
        {
            return next;
        }
        try
        {
            _ = PolicyFilterValidator.Validate(next.Filter);
            return next;
        }
        catch (GatewaySpecException e)
        {
            var kept = current?.Filter is null ? "no filter (no policy)" : $"the previous filter ({Describe(current.Filter)})";
            refusal = $"refused the access-policy filter of v{next.Version}: {e.Message}; keeping {kept}";
            return next with { Filter = current?.Filter };
        }
    }

    /// <summary>"3 inbound, 1 forward rules" or "no policy", for logs and status.</summary>
    public static string Describe(Contracts.Mesh.MeshFilterDto? filter) =>
        filter is not { IsNone: false } f ? "no policy" : $"{f.Inbound.Count} inbound, {f.Forward.Count} forward rules";
}
