using Appliance.Server.Domain;

namespace Appliance.Server.Mesh;

/// <summary>
/// A node's endpoint candidates as its peers receive them (issue #18, pure): its NAT-mapped address first (what a
/// relay observed as the source of its WireGuard packets; left out when its network turned punching off or the node
/// opted out), then the addresses it reported, without repeats. A peer sharing the node's public address puts the
/// reported (LAN) ones first itself: the list is the same for every member, so it is signed once for all of them.
/// </summary>
public static class NatCandidates
{
    /// <summary>The ordered candidates: mapped (when punching applies), then reported, each once.</summary>
    public static List<string> Of(NodeRecord node, NetworkRecord network)
    {
        var reported = NodeConfigBuilder.FormatEndpoints(node);
        if (PunchableMapped(node, network) is not { } mapped)
        {
            return reported;
        }
        return [mapped, .. reported.Where(e => !string.Equals(e, mapped, StringComparison.Ordinal))];
    }

    /// <summary>The mapped address peers may punch towards: none when the network or the node turned punching off.</summary>
    public static string? PunchableMapped(NodeRecord node, NetworkRecord network) =>
        network.Punching && !node.NoPunch ? node.MappedEndpoint : null;
}
