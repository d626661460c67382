using System.Text.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

public sealed class MeshDeltaTests
{
    private static readonly DateTimeOffset T = DateTimeOffset.UnixEpoch;

    private static PeerDto Peer(int i, string endpoint = "192.0.2.1:51821") =>
        new($"n{i}", $"node{i}", Convert.ToBase64String(new byte[32].Select((_, j) => (byte)(i + j)).ToArray()),
            [$"10.0.{i / 250}.{(i % 250) + 1}/32"], endpoint, [endpoint], 20);

    private static NodeConfigDto Config(long version, IEnumerable<PeerDto> peers, int mtu = 1420) =>
        new("self", "self", version, new NodeInterfaceDto("home", ["10.0.0.250/16"], 51821, mtu), peers.ToList());

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void One_join_in_a_thousand_node_network_is_one_peer_per_node()
    {
        var before = Config(7, Enumerable.Range(1, 999).Select(i => Peer(i)));
        var after = Config(8, Enumerable.Range(1, 1000).Select(i => Peer(i)));
        var delta = MeshDelta.Compute(before, after, T);
        Assert.Equal((7L, 8L), (delta.FromVersion!.Value, delta.ToVersion));
        Assert.Equal("n1000", Assert.Single(delta.UpsertPeers).NodeId);
        Assert.Empty(delta.RemovePeers);
        Assert.Null(delta.Interface);
        var deltaBytes = JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate).Length;
        var snapshotBytes = JsonSerializer.SerializeToUtf8Bytes(MeshDelta.Snapshot(after, T), ApplianceJsonContext.Default.MeshUpdate).Length;
        Assert.True(deltaBytes < 600, $"delta {deltaBytes} bytes");
        Assert.True(snapshotBytes > 200 * deltaBytes, $"snapshot {snapshotBytes} vs delta {deltaBytes}");
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Derived_flags_stay_off_the_wire_and_the_kind_survives_a_round_trip()
    {
        var update = MeshDelta.Snapshot(Config(3, [Peer(1)]), T) with { NodeId = MeshUpdate.AnyMember, Network = "home", Part = 1, Parts = 2 };
        var json = JsonSerializer.Serialize(update, ApplianceJsonContext.Default.MeshUpdate);
        Assert.DoesNotContain("isSnapshot", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("isNetworkDelta", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("isSharedSnapshotPart", json, StringComparison.OrdinalIgnoreCase);
        var back = JsonSerializer.Deserialize(json, ApplianceJsonContext.Default.MeshUpdate)!;
        Assert.Equal((true, false, true), (back.IsSnapshot, back.IsNetworkDelta, back.IsSharedSnapshotPart));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_network_delta_of_the_peer_changes_takes_each_member_where_its_member_delta_does()
    {
        // Three members see each other; n2 moves, n3 leaves, n4 joins. The network's peer changes are every member's
        // record (each member leaves its own out), as the server keeps them.
        PeerDto[] v1 = [Peer(1), Peer(2), Peer(3)];
        PeerDto[] v2 = [Peer(1), Peer(2, "198.51.100.2:40000"), Peer(4)];
        var peers = MeshDelta.DiffPeers(v1, v2);
        Assert.Equal(["n2", "n4"], peers.Upserts.Select(p => p.NodeId));
        Assert.Equal(["n3"], peers.Removes);
        var shared = MeshDelta.NetworkDelta("home", 1, 2, null, null, peers, [], "e", T);
        foreach (var self in new[] { 1, 2 })
        {
            NodeConfigDto Of(long version, PeerDto[] all) =>
                new($"n{self}", $"node{self}", version, new NodeInterfaceDto("home", ["10.0.0.250/16"], 51821, 1420), [.. all.Where(p => p.NodeId != $"n{self}")], Epoch: "e");
            var (from, to) = (Of(1, v1), Of(2, v2));
            var own = MeshDelta.MemberDelta(from, to, peers, T);
            Assert.Equal(
                JsonSerializer.Serialize(MeshDelta.Compute(from, to, T), ApplianceJsonContext.Default.MeshUpdate),
                JsonSerializer.Serialize(own, ApplianceJsonContext.Default.MeshUpdate));
            Assert.DoesNotContain(own.UpsertPeers, p => p.NodeId == $"n{self}");
            Assert.True(MeshDelta.SameConfig(to, MeshDelta.Apply(from, own)));
            Assert.True(MeshDelta.SameConfig(to, MeshDelta.Apply(from, shared)));
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Changed_removed_and_interface_changes_are_carried()
    {
        var before = Config(1, [Peer(1), Peer(2), Peer(3)]);
        var after = Config(2, [Peer(1), Peer(3, "198.51.100.3:40000")], mtu: 1380);
        var delta = MeshDelta.Compute(before, after, T);
        Assert.Equal(["n3"], delta.UpsertPeers.Select(p => p.NodeId));
        Assert.Equal(["n2"], delta.RemovePeers);
        Assert.Equal(1380, delta.Interface!.Mtu);
        Assert.True(MeshDelta.SameConfig(after, MeshDelta.Apply(before, delta)));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Unchanged_config_gives_an_empty_delta()
    {
        var c = Config(3, [Peer(1), Peer(2)]);
        var delta = MeshDelta.Compute(c, c with { Version = 4 }, T);
        Assert.True(MeshDelta.IsEmpty(delta));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_delta_that_does_not_start_at_the_current_version_needs_a_snapshot()
    {
        var v1 = Config(1, [Peer(1)]);
        var v2 = Config(2, [Peer(1), Peer(2)]);
        var v3 = Config(3, [Peer(2)]);
        var skip = MeshDelta.Compute(v2, v3, T);
        var e = Assert.Throws<MeshVersionMismatchException>(() => MeshDelta.Apply(v1, skip));
        Assert.Equal((1L, 2L), (e.Have!.Value, e.DeltaFrom!.Value));
        Assert.Throws<MeshVersionMismatchException>(() => MeshDelta.Apply(null, skip));
        Assert.True(MeshDelta.SameConfig(v3, MeshDelta.Apply(v1, MeshDelta.Snapshot(v3, T))));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Applying_computed_deltas_reaches_the_target_for_random_histories()
    {
        var rng = new Random(20261122);
        for (var round = 0; round < 300; round++)
        {
            var current = Config(0, []);
            for (var step = 1; step <= 8; step++)
            {
                var peers = Enumerable.Range(1, 40).Where(_ => rng.Next(3) > 0)
                    .Select(i => Peer(i, rng.Next(4) == 0 ? $"203.0.113.{rng.Next(1, 250)}:51821" : "192.0.2.1:51821"));
                var next = Config(step, peers, mtu: rng.Next(5) == 0 ? 1300 + step : 1420);
                var delta = MeshDelta.Compute(current, next, T);
                var wire = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(delta, ApplianceJsonContext.Default.MeshUpdate), ApplianceJsonContext.Default.MeshUpdate)!;
                var applied = MeshDelta.Apply(current, wire);
                Assert.True(MeshDelta.SameConfig(next, applied), $"round {round} step {step}");
                current = applied;
            }
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_network_delta_reaches_the_same_config_as_a_per_node_delta_and_keeps_peers_in_order()
    {
        var rng = new Random(5);
        var self = new PeerDto("self", "self", Peer(0).PublicKey, ["10.0.0.250/32"], null, [], 20);
        var current = MeshDelta.Apply(null, MeshDelta.Snapshot(Config(0, Enumerable.Range(1, 300).Select(i => Peer(i))), T));
        for (var step = 1; step <= 50; step++)
        {
            var peers = current.Peers.Where(_ => rng.Next(20) > 0).Select(p => rng.Next(10) == 0 ? p with { Endpoint = $"203.0.113.{step}:51821" } : p)
                .Concat(Enumerable.Range(1000 + (step * 3), rng.Next(3)).Select(i => Peer(i)));
            var next = Config(step, peers);
            var own = MeshDelta.Compute(current, next, T);
            // What the server sends every member: the network's change, the member's own peer record included.
            var shared = own with
            {
                Kind = MeshUpdate.NetworkDeltaKind, NodeId = MeshUpdate.AnyMember, Name = string.Empty, Network = "home",
                UpsertPeers = [.. own.UpsertPeers, self with { Endpoint = $"198.51.100.{step}:51821" }],
            };
            var wire = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(shared, ApplianceJsonContext.Default.MeshUpdate), ApplianceJsonContext.Default.MeshUpdate)!;
            var applied = MeshDelta.Apply(current, wire);
            Assert.True(MeshDelta.SameConfig(next, applied), $"step {step}");
            Assert.True(MeshDelta.SameConfig(MeshDelta.Apply(current, own), applied), $"step {step}");
            Assert.Equal(applied.Peers.Order(Comparer<PeerDto>.Create(MeshDelta.PeerOrder)), applied.Peers);
            current = applied;
        }
    }

    private static GatewayRoleDto Role(bool ingress, bool egressNat, params string[] clients) => new()
    {
        Ingress = ingress ? new IngressRoleDto { Nat = true, Clients = [.. clients.Select((c, i) => new ExtClientPeerDto(c, c, Peer(100 + i).PublicKey, [$"10.0.9.{i + 1}/32"], true, null))] } : null,
        Egress = new EgressRoleDto { Ranges = ["192.168.1.0/24"], Nat = egressNat },
        MeshRanges = ["10.0.0.0/16"],
    };

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Gateway_roles_dns_names_and_the_internet_gateway_travel_in_deltas_only_when_they_change()
    {
        var dns = new MeshDnsDto { Zone = "home", Records = [new DnsRecordDto("printer", "A", "192.168.1.9")] };
        var plain = Config(1, [Peer(1)]) with { Dns = dns };
        var gateway = Config(2, [Peer(1)]) with { Dns = dns, Gateway = Role(true, true, "phone") };

        var add = MeshDelta.Compute(plain, gateway, T);
        Assert.Equal("phone", Assert.Single(add.Gateway!.Ingress!.Clients).Name);
        Assert.Null(add.Dns);
        Assert.True(MeshDelta.SameConfig(gateway, MeshDelta.Apply(plain, add)));

        // Equal by value though every list is a new instance: nothing to send.
        var same = MeshDelta.Compute(gateway, gateway with { Version = 3, Gateway = Role(true, true, "phone"), Dns = dns with { Records = [.. dns.Records] } }, T);
        Assert.True(MeshDelta.IsEmpty(same));

        var removed = MeshDelta.Compute(gateway, plain with { Version = 3 }, T);
        Assert.True(removed.Gateway!.IsEmpty);
        var wire = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(removed, ApplianceJsonContext.Default.MeshUpdate), ApplianceJsonContext.Default.MeshUpdate)!;
        Assert.Null(MeshDelta.Apply(gateway, wire).Gateway);

        var viaGateway = plain with { Version = 4, Interface = plain.Interface with { InternetGateway = "n1" } };
        var route = MeshDelta.Compute(plain, viaGateway, T);
        Assert.Equal("n1", route.Interface!.InternetGateway);
        var renamed = MeshDelta.Compute(plain, plain with { Version = 5, Dns = dns with { Records = [new DnsRecordDto("printer", "A", "192.168.1.10")] } }, T);
        Assert.Equal("192.168.1.10", Assert.Single(renamed.Dns!.Records).Value);
    }
}
