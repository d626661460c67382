using System.Net;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>Peer computation, gateway roles and zone records from stored records (pure).</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class GatewayConfigTests
{
    internal static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    internal static readonly NetworkRecord Net = new("home", IPNetwork.Parse("10.10.0.0/24"), IPNetwork.Parse("fd10::/64"), 51821, 1420, 20, 7, DateTimeOffset.UnixEpoch);

    internal static NodeRecord Node(int i, string? internetGateway = null) => new(
        $"n{i}", "home", $"node{i}", $"node{i}", Convert.ToBase64String(Enumerable.Repeat((byte)i, 32).ToArray()),
        IPAddress.Parse($"10.10.0.{i}"), IPAddress.Parse($"fd10::{i}"), 51821, [$"192.0.2.{i}"], "linux", "1", [], "hash", null,
        DateTimeOffset.UnixEpoch, null, internetGateway);

    /// <summary>An ext client; one past its expiry has had the expiry published (the mesh state follows the store, not the clock).</summary>
    internal static ExtClientRecord Client(int i, string gateway, bool enabled = true, DateTimeOffset? expiresAt = null, string? privateKey = null) => new(
        $"ext-{i}", "home", $"phone{i}", gateway, Convert.ToBase64String(Enumerable.Repeat((byte)(100 + i), 32).ToArray()), privateKey,
        IPAddress.Parse($"10.10.0.{50 + i}"), IPAddress.Parse($"fd10::{50 + i:x}"), enabled, expiresAt, DateTimeOffset.UnixEpoch,
        ExpiryPublished: expiresAt <= Now);

    private static EgressRecord Egress(string node, params string[] ranges) =>
        new(node, "home", [.. ranges.Select(IPNetwork.Parse)], true, DateTimeOffset.UnixEpoch);

    private static NetworkState State(
        NodeRecord[] nodes, IngressRecord[]? ingress = null, EgressRecord[]? egress = null, ExtClientRecord[]? clients = null, DnsEntryRecord[]? dns = null) =>
        new(Net, nodes, ingress ?? [], egress ?? [], clients ?? [], dns ?? [], "home.mesh.internal");

    [Fact]
    public void Egress_ranges_go_into_every_members_peer_record_but_default_routes_do_not()
    {
        var nodes = new[] { Node(1), Node(2), Node(3, internetGateway: "n2") };
        var state = State(nodes, egress: [Egress("n2", "192.168.1.0/24", "0.0.0.0/0", "::/0")]);
        foreach (var member in new[] { nodes[0], nodes[2] })
        {
            var gw = NodeConfigBuilder.Build(state, member).Peers.Single(p => p.NodeId == "n2");
            Assert.Equal(["10.10.0.2/32", "fd10::2/128", "192.168.1.0/24"], gw.AllowedIps);
        }
        // The member that chose the gateway learns it on its interface; its agent adds the default routes itself.
        Assert.Equal("n2", NodeConfigBuilder.Build(state, nodes[2]).Interface.InternetGateway);
        Assert.Null(NodeConfigBuilder.Build(state, nodes[0]).Interface.InternetGateway);
    }

    [Fact]
    public void Route_mode_ingress_puts_active_client_addresses_in_the_gateway_peer_and_nat_mode_does_not()
    {
        var nodes = new[] { Node(1), Node(2) };
        var clients = new[] { Client(1, "n2"), Client(2, "n2", enabled: false), Client(3, "n2", expiresAt: Now.AddSeconds(-1)), Client(4, "n2", expiresAt: Now.AddHours(1)) };
        var routed = State(nodes, ingress: [new IngressRecord("n2", "home", Nat: false, [], DateTimeOffset.UnixEpoch)], clients: clients);
        Assert.Equal(["10.10.0.2/32", "fd10::2/128", "10.10.0.51/32", "fd10::33/128", "10.10.0.54/32", "fd10::36/128"],
            NodeConfigBuilder.Build(routed, nodes[0]).Peers.Single().AllowedIps);
        var natted = State(nodes, ingress: [new IngressRecord("n2", "home", Nat: true, [], DateTimeOffset.UnixEpoch)], clients: clients);
        Assert.Equal(["10.10.0.2/32", "fd10::2/128"], NodeConfigBuilder.Build(natted, nodes[0]).Peers.Single().AllowedIps);
    }

    [Fact]
    public void The_gateway_gets_its_roles_with_every_client_mesh_ranges_and_the_other_gateways_ranges()
    {
        var nodes = new[] { Node(1), Node(2), Node(3) };
        var clients = new[] { Client(2, "n2", enabled: false), Client(1, "n2", expiresAt: Now.AddSeconds(-1)), Client(3, "n2", expiresAt: Now.AddDays(1)) };
        var state = State(nodes,
            ingress: [new IngressRecord("n2", "home", Nat: true, ["1.1.1.1"], DateTimeOffset.UnixEpoch)],
            egress: [Egress("n2", "192.168.1.0/24"), Egress("n3", "172.16.0.0/16", "0.0.0.0/0")],
            clients: clients);
        var role = NodeConfigBuilder.Build(state, nodes[1]).Gateway!;
        Assert.True(role.Ingress!.Nat);
        Assert.True(role.Ingress.Dns);
        Assert.Equal(["phone1", "phone2", "phone3"], role.Ingress.Clients.Select(c => c.Name));
        Assert.Equal([false, false, true], role.Ingress.Clients.Select(c => c.Enabled)); // expired, disabled, active
        Assert.Equal(["10.10.0.51/32", "fd10::33/128"], role.Ingress.Clients[0].Addresses);
        Assert.Equal(Now.AddDays(1), role.Ingress.Clients[2].ExpiresAt);
        Assert.Equal(["192.168.1.0/24"], role.Egress!.Ranges);
        Assert.True(role.Egress.Nat);
        Assert.Equal(["10.10.0.0/24", "fd10::/64"], role.MeshRanges);
        Assert.Equal(["172.16.0.0/16"], role.RemoteRanges); // the other gateway's default route is no site range
        Assert.Equal(["0.0.0.0/0", "172.16.0.0/16"], NodeConfigBuilder.Build(state, nodes[2]).Gateway!.Egress!.Ranges.Order());
        Assert.Null(NodeConfigBuilder.Build(state, nodes[0]).Gateway);
    }

    [Fact]
    public void Every_member_gets_the_zone_with_ext_clients_and_custom_entries()
    {
        var nodes = new[] { Node(1), Node(2) };
        var state = State(nodes, ingress: [new IngressRecord("n2", "home", true, [], DateTimeOffset.UnixEpoch)], clients: [Client(1, "n2")],
            dns: [new DnsEntryRecord("dns-1", "home", "printer", "A", "192.168.1.20", DateTimeOffset.UnixEpoch),
                  new DnsEntryRecord("dns-2", "home", "www", "CNAME", "printer", DateTimeOffset.UnixEpoch)]);
        foreach (var node in nodes)
        {
            var dns = NodeConfigBuilder.Build(state, node).Dns!;
            Assert.Equal("home.mesh.internal", dns.Zone);
            Assert.Equal(
                [new("phone1", "A", "10.10.0.51"), new("phone1", "AAAA", "fd10::33"), new("printer", "A", "192.168.1.20"), new DnsRecordDto("www", "CNAME", "printer")],
                dns.Records);
        }
    }

    [Fact]
    public void Deltas_carry_role_and_zone_changes_and_reach_the_full_config()
    {
        var nodes = new[] { Node(1), Node(2), Node(3) };
        var ingress = new IngressRecord("n2", "home", false, [], DateTimeOffset.UnixEpoch);
        var v1 = State(nodes, ingress: [ingress]);
        var v2 = new NetworkState(Net with { Version = 8 }, nodes, [ingress], [Egress("n3", "192.168.7.0/24")], [Client(1, "n2")],
            [new DnsEntryRecord("dns-1", "home", "nas", "A", "192.168.7.2", DateTimeOffset.UnixEpoch)], "home.mesh.internal");
        var v3 = new NetworkState(Net with { Version = 9 }, nodes, [], [Egress("n3", "192.168.7.0/24")], [],
            [new DnsEntryRecord("dns-1", "home", "nas", "A", "192.168.7.2", DateTimeOffset.UnixEpoch)], "home.mesh.internal");
        foreach (var (from, to) in new[] { (v1, v2), (v2, v3) })
        {
            var before = NetworkView.Build(from);
            var after = NetworkView.Build(to);
            var step = NetworkViewStep.Between(before, after);
            var peers = step.PeerChanges(after);
            foreach (var node in nodes)
            {
                var delta = after.MemberDelta(node.Id, step, peers, default);
                var expected = NodeConfigBuilder.Build(to, node);
                Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(NodeConfigBuilder.Build(from, node), delta)), $"{node.Id} v{to.Network.Version}");
                Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(null, after.Snapshot(node.Id, default))), $"{node.Id} snapshot");
            }
        }
        // v1 -> v2: n3 becomes an egress gateway and the zone gains names; n1 gets no role.
        var (view1, view2) = (NetworkView.Build(v1), NetworkView.Build(v2));
        var step12 = NetworkViewStep.Between(view1, view2);
        var d12 = view2.MemberDelta("n1", step12, step12.PeerChanges(view2), default);
        Assert.Null(d12.Gateway);
        Assert.Equal(["nas", "phone1", "phone1"], d12.Dns!.Records.Select(r => r.Name).Order());
        // v2 -> v3: n2 loses its ingress role: the delta says so with the empty role; the zone did not change.
        var before3 = NetworkView.Build(v2);
        var after3 = NetworkView.Build(v3);
        var step23 = NetworkViewStep.Between(before3, after3);
        var d23 = after3.MemberDelta("n2", step23, step23.PeerChanges(after3), default);
        Assert.True(d23.Gateway!.IsEmpty);
        Assert.Equal(["nas"], d23.Dns!.Records.Select(r => r.Name)); // the deleted client left the zone
        Assert.Null(after3.MemberDelta("n3", step23, step23.PeerChanges(after3), default).Gateway); // n3's role is unchanged
    }
}
