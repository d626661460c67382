using System.Net;
using Appliance.Agent.Mesh;
using Appliance.Agent.Nat;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Agent.Tests;

/// <summary>The NAT path state machine (issue #18) on a fake clock: probing in order, direct, relay, relay failover.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class PeerPathPlannerTests
{
    private static readonly string KeyB = X25519.GenerateKeyPair().PublicKey.ToString();
    private static readonly string KeyR1 = X25519.GenerateKeyPair().PublicKey.ToString();
    private static readonly string KeyR2 = X25519.GenerateKeyPair().PublicKey.ToString();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, PeerObservation> _seen = new(StringComparer.Ordinal);

    private static PeerDto B(params string[] endpoints) =>
        new("b", "b", KeyB, ["10.9.0.2/32"], endpoints.FirstOrDefault(), endpoints, 20, MappedEndpoint: endpoints.FirstOrDefault());

    private static PeerDto Relay(string id, string key, string endpoint) =>
        new(id, id, key, [id == "r1" ? "10.9.0.101/32" : "10.9.0.102/32"], endpoint, [endpoint], 20, Relay: true);

    private static NodeConfigDto Config(params PeerDto[] peers) =>
        new("a", "a", 1, new NodeInterfaceDto("n", ["10.9.0.1/24"], 51820, 1420, Candidates: ["198.51.100.1:51820"]), peers);

    private DateTimeOffset Now => _clock.GetUtcNow();

    private void Handshake(string node) => _seen[node] = new PeerObservation(Now, (_seen.GetValueOrDefault(node)?.RxBytes ?? 0) + 32, null);

    // The relays send keepalives: their received bytes grow.
    private void RelaysAlive(params string[] relays)
    {
        foreach (var r in relays)
        {
            Handshake(r);
        }
    }

    private void Advance(PeerPathPlanner planner, NodeConfigDto config, TimeSpan by, params string[] aliveRelays)
    {
        for (var t = TimeSpan.Zero; t < by; t += TimeSpan.FromSeconds(1))
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            RelaysAlive(aliveRelays);
            planner.Step(config, _seen, Now);
        }
    }

    [Fact]
    public void Candidates_are_tried_in_order_each_for_the_probe_time_then_the_relay_carries_the_pair()
    {
        var config = Config(B("203.0.113.5:51820", "192.168.1.5:51820"), Relay("r1", KeyR1, "198.51.100.9:51820"));
        var planner = new PeerPathPlanner();
        RelaysAlive("r1");
        Assert.True(planner.Step(config, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("203.0.113.5:51820")), planner.Paths["b"]);
        Advance(planner, config, TimeSpan.FromSeconds(10), "r1");
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("192.168.1.5:51820")), planner.Paths["b"]);
        Advance(planner, config, TimeSpan.FromSeconds(10), "r1");
        Assert.Equal(new PeerPath(PeerPathKind.Relayed, IPEndPoint.Parse("203.0.113.5:51820"), "r1"), planner.Paths["b"]);
        // The relay itself is never relayed: it stays direct.
        Assert.Equal(PeerPathKind.Direct, planner.Paths["r1"].Kind);

        // The overlay moves b's addresses to the relay's peer; b keeps its first candidate, so a late handshake still wins.
        var device = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now, planner.Paths);
        var b = device.Peers.Single(p => p.PublicKey.ToString() == KeyB);
        var r1 = device.Peers.Single(p => p.PublicKey.ToString() == KeyR1);
        Assert.Empty(b.AllowedIPs);
        Assert.Equal([IPNetwork.Parse("10.9.0.101/32"), IPNetwork.Parse("10.9.0.2/32")], r1.AllowedIPs);
        Assert.Equal(PeerPathPlanner.RelayKeepalive, r1.PersistentKeepalive);
        Assert.Equal(IPEndPoint.Parse("203.0.113.5:51820"), b.Endpoint);

        Handshake("b");
        Assert.True(planner.Step(config, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Direct, null), planner.Paths["b"]);
    }

    [Fact]
    public void A_pair_with_a_handshake_stays_direct_and_leaves_the_endpoint_to_roaming_even_when_candidates_change()
    {
        var planner = new PeerPathPlanner();
        var config = Config(B("203.0.113.5:51820"));
        planner.Step(config, _seen, Now);
        Handshake("b");
        planner.Step(config, _seen, Now);
        Assert.Equal(PeerPathKind.Direct, planner.Paths["b"].Kind);
        var device = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now, planner.Paths);
        Assert.Null(device.Peers.Single().Endpoint); // the reconciler leaves WireGuard's (roamed) endpoint alone

        var moved = Config(B("203.0.113.99:40000"));
        Assert.False(planner.Step(moved, _seen, Now));
        Assert.Equal(PeerPathKind.Direct, planner.Paths["b"].Kind);

        // The session dies (no handshake for 180 s): the search starts again at the first candidate.
        _clock.Advance(TimeSpan.FromSeconds(181));
        Assert.True(planner.Step(moved, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("203.0.113.99:40000")), planner.Paths["b"]);
    }

    [Fact]
    public void Without_a_relay_the_candidates_are_tried_round_and_round()
    {
        var planner = new PeerPathPlanner();
        var config = Config(B("203.0.113.5:51820", "192.168.1.5:51820"));
        planner.Step(config, _seen, Now);
        Advance(planner, config, TimeSpan.FromSeconds(20));
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("203.0.113.5:51820")), planner.Paths["b"]);
    }

    [Fact]
    public void A_silent_relay_is_replaced_by_the_next_live_one_and_the_pair_stays_there_when_it_comes_back()
    {
        var config = Config(B("203.0.113.5:51820"), Relay("r1", KeyR1, "198.51.100.9:51820"), Relay("r2", KeyR2, "198.51.100.10:51820"));
        var planner = new PeerPathPlanner();
        RelaysAlive("r1", "r2");
        planner.Step(config, _seen, Now);
        Advance(planner, config, TimeSpan.FromSeconds(10), "r1", "r2");
        Assert.Equal("r1", planner.Paths["b"].Via);

        // r1 stops sending: within RelayDeadAfter (9 s) plus one step b moves to r2.
        Advance(planner, config, TimeSpan.FromSeconds(8), "r2");
        Assert.Equal("r1", planner.Paths["b"].Via);
        Advance(planner, config, TimeSpan.FromSeconds(2), "r2");
        Assert.Equal("r2", planner.Paths["b"].Via);

        // r1 is back: nothing moves.
        Advance(planner, config, TimeSpan.FromSeconds(30), "r1", "r2");
        Assert.Equal("r2", planner.Paths["b"].Via);
    }

    [Fact]
    public void A_change_of_either_sides_candidates_restarts_a_pair_without_a_handshake()
    {
        var config = Config(B("203.0.113.5:51820"), Relay("r1", KeyR1, "198.51.100.9:51820"));
        var planner = new PeerPathPlanner();
        RelaysAlive("r1");
        planner.Step(config, _seen, Now);
        Advance(planner, config, TimeSpan.FromSeconds(10), "r1");
        Assert.Equal(PeerPathKind.Relayed, planner.Paths["b"].Kind);

        // This node's own candidates changed (its NAT mapping was observed): the peer restarts from the same update.
        var remapped = config with { Interface = config.Interface with { Candidates = ["198.51.100.1:40001"] } };
        Assert.True(planner.Step(remapped, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("203.0.113.5:51820")), planner.Paths["b"]);
    }

    [Fact]
    public void A_relay_node_never_relays_its_own_peers()
    {
        var config = Config(B("203.0.113.5:51820"), Relay("r2", KeyR2, "198.51.100.10:51820"));
        config = config with { Interface = config.Interface with { Relay = true } };
        var planner = new PeerPathPlanner();
        RelaysAlive("r2");
        planner.Step(config, _seen, Now);
        Advance(planner, config, TimeSpan.FromSeconds(30), "r2");
        Assert.Equal(PeerPathKind.Probing, planner.Paths["b"].Kind);
        // A relay keeps every peer's NAT mapping open with short keepalives.
        var device = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now, planner.Paths);
        Assert.All(device.Peers, p => Assert.Equal(PeerPathPlanner.RelayKeepalive, p.PersistentKeepalive));
    }

    [Fact]
    public void Peers_that_left_the_desired_state_are_forgotten()
    {
        var planner = new PeerPathPlanner();
        planner.Step(Config(B("203.0.113.5:51820")), _seen, Now);
        Assert.True(planner.Step(Config(), _seen, Now));
        Assert.Empty(planner.Paths);
    }

    // Node "z" sorts after its peer "b": it is the higher side of the pair, "a" the lower.
    private static NodeConfigDto ConfigOf(string self, params PeerDto[] peers) =>
        Config(peers) with { NodeId = self, Name = self };

    // b on the same LAN: no mapped endpoint on either side, so the pair's first initiation is held to one side.
    private static PeerDto LanB(string endpoint) => B(endpoint) with { MappedEndpoint = null };

    [Fact]
    public void A_new_peer_gets_no_keepalive_until_the_planner_has_stepped_it()
    {
        var planner = new PeerPathPlanner();
        var before = ConfigOf("a", Relay("r1", KeyR1, "198.51.100.9:51820"));
        planner.Step(before, _seen, Now);
        var after = before with { Peers = [.. before.Peers, LanB("203.0.113.5:51820")] };

        // The update that adds b is applied with the paths of the last step: b is not in them, so its keepalive is off
        // (switching it on would send an initiation at once, from both sides of the pair).
        var applied = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), after, Now, planner.Paths);
        Assert.Equal(0, applied.Peers.Single(p => p.PublicKey.ToString() == KeyB).PersistentKeepalive);

        // The next step plans b: on the lower side of the pair its keepalive goes on (the device is applied again).
        Assert.True(planner.Step(after, _seen, Now));
        Assert.False(planner.Paths["b"].Quiet);
        var stepped = MeshTranslator.ToDevice(JoinCommandTests.SampleState(), after, Now, planner.Paths);
        Assert.Equal(20, stepped.Peers.Single(p => p.PublicKey.ToString() == KeyB).PersistentKeepalive);
    }

    [Fact]
    public void The_higher_side_of_a_new_pair_holds_its_keepalive_for_the_hold_then_switches_it_on()
    {
        var planner = new PeerPathPlanner { KeepaliveHold = TimeSpan.FromSeconds(2) };
        var config = ConfigOf("z", LanB("203.0.113.5:51820"));
        Assert.True(planner.Step(config, _seen, Now));
        Assert.True(planner.Paths["b"].Quiet);
        Assert.Equal(0, MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now, planner.Paths).Peers.Single().PersistentKeepalive);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(planner.Step(config, _seen, Now));
        Assert.True(planner.Paths["b"].Quiet);

        // The hold ends: the path changes (Quiet off), so the daemon applies and the keepalive goes on.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(planner.Step(config, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Probing, IPEndPoint.Parse("203.0.113.5:51820")), planner.Paths["b"]);
        Assert.Equal(20, MeshTranslator.ToDevice(JoinCommandTests.SampleState(), config, Now, planner.Paths).Peers.Single().PersistentKeepalive);
    }

    [Fact]
    public void A_handshake_during_the_hold_ends_it_and_a_pair_that_had_one_never_holds_again()
    {
        var planner = new PeerPathPlanner { KeepaliveHold = TimeSpan.FromSeconds(2) };
        var config = ConfigOf("z", LanB("203.0.113.5:51820"));
        planner.Step(config, _seen, Now);
        Assert.True(planner.Paths["b"].Quiet);

        // The lower side's initiation (or traffic) made a session: direct, keepalive on.
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Handshake("b");
        Assert.True(planner.Step(config, _seen, Now));
        Assert.Equal(new PeerPath(PeerPathKind.Direct, null), planner.Paths["b"]);

        // Long after, the session is gone and the pair probes again, within what would have been a new hold had the
        // peer been new: it is not quiet.
        planner = new PeerPathPlanner { KeepaliveHold = TimeSpan.FromSeconds(300) };
        planner.Step(config, _seen, Now);
        _clock.Advance(PeerPathPlanner.FreshHandshake + TimeSpan.FromSeconds(1));
        Assert.True(planner.Step(config, _seen, Now));
        Assert.Equal(PeerPathKind.Probing, planner.Paths["b"].Kind);
        Assert.False(planner.Paths["b"].Quiet);
    }

    [Fact]
    public void A_pair_that_punches_through_nats_is_never_held_both_sides_send_as_the_update_arrives()
    {
        // Mapped endpoints (a relay saw this node's or the peer's public address): both sides send at once.
        var planner = new PeerPathPlanner { KeepaliveHold = TimeSpan.FromSeconds(2) };
        var mapped = ConfigOf("z", B("203.0.113.5:51820"));
        Assert.NotNull(mapped.Peers[0].MappedEndpoint);
        Assert.Equal(20, MeshTranslator.ToDevice(JoinCommandTests.SampleState(), mapped, Now, new Dictionary<string, PeerPath>()).Peers.Single().PersistentKeepalive);
        planner.Step(mapped, _seen, Now);
        Assert.False(planner.Paths["b"].Quiet);

        // The same pair on a LAN (no mapped endpoint on either side) is held on the higher side; with punching off in
        // the network, too.
        var lan = mapped with { Peers = [mapped.Peers[0] with { MappedEndpoint = null }] };
        Assert.Equal(0, MeshTranslator.ToDevice(JoinCommandTests.SampleState(), lan, Now, new Dictionary<string, PeerPath>()).Peers.Single().PersistentKeepalive);
        Assert.True(new PeerPathPlanner().Step(lan, _seen, Now));
        var noPunching = mapped with { Interface = mapped.Interface with { NoPunching = true } };
        var held = new PeerPathPlanner();
        held.Step(noPunching, _seen, Now);
        Assert.True(held.Paths["b"].Quiet);
    }
}
