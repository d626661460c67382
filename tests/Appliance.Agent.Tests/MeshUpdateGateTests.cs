using System.Text.Json;
using Appliance.Agent.Mesh;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

public sealed class MeshUpdateGateTests
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();
    private readonly MeshUpdateGate _gate = new(Ed25519.PublicKeyOf(ServerKey), "me");

    // The lineage every update here counts its versions in, unless a test says otherwise.
    private const string Epoch = "e1";
    private const string Server = "s1";

    private static NodeConfigDto Config(long v, params string[] peers) =>
        new("me", "me", v, new NodeInterfaceDto("home", ["10.0.0.1/24"], 51821, 1420),
            [.. peers.Select((p, i) => new PeerDto(p, p, Convert.ToBase64String(new byte[32].Select(_ => (byte)(i + 1)).ToArray()), [$"10.0.0.{i + 2}/32"], null, [], 20))],
            Epoch: Epoch, ServerId: Server);

    private static byte[] Wire(MeshUpdate u, byte[]? key = null) =>
        SignedEnvelope.Seal(key ?? ServerKey, JsonSerializer.SerializeToUtf8Bytes(u, ApplianceJsonContext.Default.MeshUpdate));

    // Made by the algorithm the server sends network deltas with.
    private static MeshUpdate NetworkDelta(long from, long to, string network = "home", string[]? except = null, params PeerDto[] upserts) =>
        MeshDelta.NetworkDelta(network, from, to, null, null, new MeshPeerChanges(upserts, []), except ?? [], Epoch, default) with { ServerId = Server };

    private static PeerDto Peer(string id, int i) =>
        new(id, id, Convert.ToBase64String(new byte[32].Select(_ => (byte)(i + 1)).ToArray()), [$"10.0.0.{i + 2}/32"], null, [], 20);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_network_delta_is_applied_minus_the_nodes_own_record()
    {
        var v5 = Config(5, "a", "c");
        var mine = Peer("me", 9) with { Endpoint = "198.51.100.1:51821" }; // this node's own peer record changed
        var wire = Wire(NetworkDelta(5, 6, upserts: [Peer("b", 7), mine]));
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(wire, v5, out var next, out var why));
        Assert.Equal(["a", "b", "c"], next!.Peers.Select(p => p.NodeId));
        Assert.Equal((6L, "me", v5.Interface), (next.Version, next.Name, next.Interface));
        // The same message again is a replay: nothing changes.
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(wire, next, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(NetworkDelta(4, 5)), next, out _, out why));
        Assert.Contains("replayed or stale", why, StringComparison.Ordinal);
        // A node with nothing to apply it to waits for the snapshot it asked for (it reads the shared topic from the start).
        Assert.Equal(MeshUpdateOutcome.Skipped, _gate.Evaluate(wire, null, out var none, out why));
        Assert.Null(none);
        Assert.Contains("before this node holds any state", why, StringComparison.Ordinal);
        Assert.Equal(1, _gate.Rejected);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_shared_network_delta_that_names_this_node_in_except_is_skipped_and_its_own_delta_applies()
    {
        var v5 = Config(5, "a");
        // The step v5->v6 as the server sends it: once on the network's topic naming "me" in Except, and "me" its
        // own delta (its interface changed) on its node topic. Both arrive, in either order; exactly one applies.
        var shared = Wire(NetworkDelta(5, 6, except: ["x", "me"], upserts: Peer("b", 7)));
        var own = Wire(MeshDelta.Compute(v5, Config(6, "a", "b") with { Interface = v5.Interface with { ListenPort = 51999 } }, default) with { ServerId = Server });
        Assert.Equal(MeshUpdateOutcome.Skipped, _gate.Evaluate(shared, v5, out var next, out var why));
        Assert.Null(next);
        Assert.Contains("excluded", why, StringComparison.Ordinal);
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(own, v5, out var v6, out _));
        Assert.Equal((6L, 51999), (v6!.Version, v6.Interface.ListenPort));
        Assert.Equal(["a", "b"], v6.Peers.Select(p => p.NodeId));
        Assert.Equal(MeshUpdateOutcome.Skipped, _gate.Evaluate(shared, v6, out _, out _));
        // Skipping is not trusting: a shared message signed by another key, or for another network, is still rejected.
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(NetworkDelta(6, 7, except: ["me"]), Ed25519.GeneratePrivateKey()), v6, out _, out why));
        Assert.Contains("signature", why, StringComparison.Ordinal);
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(NetworkDelta(6, 7, network: "work", except: ["me"])), v6, out _, out why));
        Assert.Contains("another network", why, StringComparison.Ordinal);
        // A member not named applies the shared message, once: the same message again is nothing new.
        var other = new MeshUpdateGate(Ed25519.PublicKeyOf(ServerKey), "a");
        var a5 = Config(5, "me") with { NodeId = "a" };
        Assert.Equal(MeshUpdateOutcome.Applied, other.Evaluate(shared, a5, out var a6, out _));
        Assert.Equal(MeshUpdateOutcome.Unchanged, other.Evaluate(shared, a6, out _, out _));
        Assert.Equal(2, _gate.Rejected);
    }

    public static TheoryData<string, Func<byte[]>, string> BadNetworkDeltas => new()
    {
        { "another network", () => Wire(NetworkDelta(5, 6, network: "work", upserts: Peer("b", 7))), "another network" },
        { "removes this node", () => Wire(NetworkDelta(5, 6) with { RemovePeers = ["me"] }), "removes this node" },
        { "network delta addressed to a node", () => Wire(NetworkDelta(5, 6) with { NodeId = "me" }), "another node" },
        { "badly signed network delta", () => Wire(NetworkDelta(5, 6, upserts: Peer("b", 7)), Ed25519.GeneratePrivateKey()), "bad signature" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(BadNetworkDeltas))]
    public void Rejects_network_deltas_not_meant_for_this_node(string row, Func<byte[]> wire, string reason)
    {
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(wire(), Config(5, "a"), out var next, out var why));
        Assert.True(why.Contains(reason, StringComparison.Ordinal), $"{row}: {why}");
        Assert.Null(next);
        Assert.Equal(1, _gate.Rejected);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_snapshot_in_parts_is_applied_once_every_part_is_here()
    {
        var (head, shared) = SharedSnapshot(7);
        var current = Config(5, "a");
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(shared[1]), current, out _, out var why));
        Assert.Contains("part 3 of 3", why, StringComparison.Ordinal);
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(head), current, out _, out _));
        // A part signed by someone else is not kept.
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(shared[0], Ed25519.GeneratePrivateKey()), current, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(shared[0] with { Part = 3 }), current, out _, out why));
        Assert.Contains("not a valid part", why, StringComparison.Ordinal);
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(shared[0]), current, out var next, out _));
        Assert.True(MeshDelta.SameConfig(Config(7, "a", "b", "c"), next!));
        // A part of an older snapshot is a replay.
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(head with { ToVersion = 6 }), next, out _, out why));
        Assert.Contains("replayed or stale", why, StringComparison.Ordinal);
        Assert.Equal(3, _gate.Rejected);
    }

    // A snapshot the way the server sends a big network's: this node's own head (part 0, no peers), then parts shared
    // by every member of the network, which list all members including this one.
    // The head lists the digests of the signed shared parts. Peers match Config's (the same keys and addresses).
    private static (MeshUpdate Head, MeshUpdate[] Shared) SharedSnapshot(long version, string network = "home", string lastPeer = "c", string epoch = Epoch)
    {
        MeshUpdate Shared(int i, params PeerDto[] peers) => new()
        {
            Kind = MeshUpdate.SnapshotKind, NodeId = MeshUpdate.AnyMember, Name = string.Empty, Network = network,
            ToVersion = version, Part = i, Parts = 3, UpsertPeers = peers, Epoch = epoch, ServerId = Server,
        };
        MeshUpdate[] shared = [Shared(1, Peer("a", 0), Peer("b", 1)), Shared(2, Peer("me", 9), Peer(lastPeer, 2))];
        var head = MeshDelta.Snapshot(Config(version) with { Epoch = epoch }, default) with
        {
            Part = 0, Parts = 3, PartDigests = [.. shared.Select(p => MeshSnapshotAssembler.Digest(Wire(p)))],
        };
        return (head, shared);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_snapshot_with_parts_shared_by_the_network_is_applied_without_the_nodes_own_record()
    {
        var (head, shared) = SharedSnapshot(7);
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(shared[1]), null, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(head), null, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(shared[0]), null, out var next, out _));
        Assert.Equal(["a", "b", "c"], next!.Peers.Select(p => p.NodeId));
        Assert.Equal((7L, "me", "home"), (next.Version, next.NodeId, next.Interface.Network));
        Assert.Equal(0, _gate.Rejected);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Rejects_shared_snapshot_parts_not_meant_for_this_node()
    {
        var current = Config(5, "a");
        // Of another network: refused on arrival when the node knows its network...
        var (_, work) = SharedSnapshot(7, network: "work");
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(work[0]), current, out _, out var why));
        Assert.Contains("another network", why, StringComparison.Ordinal);
        // ...and, for a node with no state yet, when the parts meet this node's own part 0 (which names its network).
        var (head, _) = SharedSnapshot(7);
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(head), null, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(work[0]), null, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(work[1]), null, out var next, out why));
        Assert.Contains("is for network work, not the network of me (home)", why, StringComparison.Ordinal);
        Assert.Null(next);
        // A shared message is never a whole snapshot, nor part 0 (which must carry the node's own record).
        var (_, home) = SharedSnapshot(8);
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(home[0] with { Part = null, Parts = null }), current, out _, out why));
        Assert.Contains("after the node's own part 0", why, StringComparison.Ordinal);
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(home[0] with { Part = 0 }), current, out _, out _));
        // Signed by someone else.
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(home[1], Ed25519.GeneratePrivateKey()), current, out _, out _));
        // Authentic, of this network's name and version, but not the part this node's head lists (another network of
        // the same name, deleted and created again; an older database): the head's digests tell them apart.
        var (homeHead, _) = SharedSnapshot(9);
        var (_, other) = SharedSnapshot(9, lastPeer: "intruder");
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(homeHead), current, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(other[0]), current, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(other[1]), current, out next, out why));
        Assert.Contains("is not the part this node's own part 0 lists", why, StringComparison.Ordinal);
        Assert.Null(next);
        // A head without digests is not a snapshot in parts.
        var (bare, homeParts) = SharedSnapshot(10);
        _gate.Evaluate(Wire(bare with { PartDigests = null }), current, out _, out _);
        _gate.Evaluate(Wire(homeParts[0]), current, out _, out _);
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(homeParts[1]), current, out _, out why));
        Assert.Contains("must list the digests", why, StringComparison.Ordinal);
        Assert.Equal(7, _gate.Rejected);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Snapshot_then_delta_apply()
    {
        var v1 = Config(1, "a");
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(MeshDelta.Snapshot(v1, default)), null, out var s, out _));
        var v2 = Config(2, "a", "b");
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(MeshDelta.Compute(v1, v2, default)), s, out var d, out _));
        Assert.True(MeshDelta.SameConfig(v2, d!));
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(MeshDelta.Snapshot(v2, default)), d, out _, out _));
        Assert.Equal(0, _gate.Rejected);
    }

    public static TheoryData<string, Func<byte[]>, string> Bad => new()
    {
        { "unsigned", () => JsonSerializer.SerializeToUtf8Bytes(MeshDelta.Snapshot(Config(9, "x"), default), ApplianceJsonContext.Default.MeshUpdate), "not a signed message" },
        { "signed by someone else", () => Wire(MeshDelta.Snapshot(Config(9, "x"), default), Ed25519.GeneratePrivateKey()), "bad signature" },
        { "for another node", () => Wire(MeshDelta.Snapshot(Config(9, "x"), default) with { NodeId = "other" }), "another node" },
        { "replayed old snapshot", () => Wire(MeshDelta.Snapshot(Config(3, "x"), default)), "replayed or stale" },
        { "signed garbage", () => SignedEnvelope.Seal(ServerKey, "not json"u8), "not a mesh update" },
    };

    [Theory]
    [Trait("Category", TestCategories.Unit)]
    [MemberData(nameof(Bad))]
    public void Rejects_and_counts(string row, Func<byte[]> wire, string reason)
    {
        var current = Config(5, "a");
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(wire(), current, out var next, out var why));
        Assert.True(why.Contains(reason, StringComparison.Ordinal), $"{row}: {why}");
        Assert.Null(next);
        Assert.Equal(1, _gate.Rejected);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_delta_from_a_version_we_do_not_have_asks_for_a_snapshot()
    {
        var delta = MeshDelta.Compute(Config(6, "a"), Config(7, "a", "b"), default);
        Assert.Equal(MeshUpdateOutcome.NeedsSnapshot, _gate.Evaluate(Wire(delta), Config(5, "a"), out _, out _));
        Assert.Equal(0, _gate.Rejected);
    }
}
