using System.Net;
using Appliance.Contracts.Api;

namespace Appliance.Agent.Nat;

/// <summary>
/// The endpoints this node tries for one peer, in order (pure, issue #18). The server sends every member the same
/// list (the peer's NAT-mapped address first, then the addresses it reported); when this node and the peer share a
/// public address they sit behind one NAT, and the reported (LAN) addresses go first: hairpinning through the NAT is
/// often not supported and never needed. A node that opted out of punching drops the peer's mapped address.
/// </summary>
public static class PeerCandidates
{
    /// <summary>At most this many candidates are tried per peer (the server bounds the list too).</summary>
    public const int Max = 8;

    public static IReadOnlyList<IPEndPoint> Order(NodeInterfaceDto self, PeerDto peer, bool noPunch)
    {
        var all = peer.Endpoints.Select(Parse).OfType<IPEndPoint>().Distinct().ToList();
        var mapped = Parse(peer.MappedEndpoint);
        if (noPunch && mapped is not null)
        {
            all.Remove(mapped);
        }
        if (mapped is not null && Parse(self.MappedEndpoint) is { } own && own.Address.Equals(mapped.Address))
        {
            // Behind the same NAT: LAN addresses first, the shared public one last.
            all = [.. all.Where(e => !e.Address.Equals(mapped.Address)), .. all.Where(e => e.Address.Equals(mapped.Address))];
        }
        return all.Take(Max).ToList();
    }

    private static IPEndPoint? Parse(string? text) => text is not null && IPEndPoint.TryParse(text, out var ep) && ep.Port != 0 ? ep : null;
}
