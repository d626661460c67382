using System.Net;
using Appliance.Agent.Nat;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>The order in which a node tries a peer's endpoints (issue #18).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class PeerCandidatesTests
{
    private static NodeInterfaceDto Self(string? mapped) => new("n", ["10.9.0.1/24"], 51820, 1420, MappedEndpoint: mapped);

    private static PeerDto Peer(string? mapped, params string[] endpoints) =>
        new("b", "b", "key", ["10.9.0.2/32"], endpoints.FirstOrDefault(), endpoints, 20, MappedEndpoint: mapped);

    public static TheoryData<string, string?, string?, string[], bool, string[]> Rows() => new()
    {
        { "another NAT: mapped first, then the LAN address", "198.51.100.1:51820", "203.0.113.5:51820", ["203.0.113.5:51820", "192.168.1.5:51820"], false, ["203.0.113.5:51820", "192.168.1.5:51820"] },
        { "behind the same NAT: the LAN address first", "203.0.113.5:40000", "203.0.113.5:51820", ["203.0.113.5:51820", "192.168.1.5:51820"], false, ["192.168.1.5:51820", "203.0.113.5:51820"] },
        { "no mapped address known: as reported", null, null, ["192.168.1.5:51820"], false, ["192.168.1.5:51820"] },
        { "opted out of punching: the mapped address is not tried", "198.51.100.1:51820", "203.0.113.5:51820", ["203.0.113.5:51820", "192.168.1.5:51820"], true, ["192.168.1.5:51820"] },
        { "garbage and repeats are dropped", null, null, ["nonsense", "192.168.1.5:0", "192.168.1.5:51820", "192.168.1.5:51820"], false, ["192.168.1.5:51820"] },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Candidates_are_ordered(string row, string? self, string? mapped, string[] endpoints, bool noPunch, string[] expected)
    {
        var order = PeerCandidates.Order(Self(self), Peer(mapped, endpoints), noPunch);
        Assert.True(expected.Select(IPEndPoint.Parse).SequenceEqual(order), $"{row}: got {string.Join(", ", order)}");
    }

    [Fact]
    public void The_list_is_bounded()
    {
        var many = Enumerable.Range(1, 40).Select(i => $"192.0.2.{i}:51820").ToArray();
        Assert.Equal(PeerCandidates.Max, PeerCandidates.Order(Self(null), Peer(null, many), false).Count);
    }
}
