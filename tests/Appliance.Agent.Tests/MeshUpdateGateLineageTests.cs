using System.Text.Json;
using Appliance.Agent.Mesh;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.TestSupport;

namespace Appliance.Agent.Tests;

/// <summary>
/// The gate and the lineage of updates (network epoch and server id): versions count within one lineage, so a delta of
/// another is refused and a snapshot of another replaces the state whatever its number. And the gate following the
/// server's signing key through announcements signed by the key it holds.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshUpdateGateLineageTests
{
    private static readonly byte[] ServerKey = Ed25519.GeneratePrivateKey();
    private readonly MeshUpdateGate _gate = new(Ed25519.PublicKeyOf(ServerKey), "me");

    // The node's state: version 10 of epoch "e1" of server "s1", one peer.
    private static readonly NodeConfigDto Current = Config(10, "e1", "s1", "a");

    private static NodeConfigDto Config(long v, string? epoch, string? server, params string[] peers) =>
        new("me", "me", v, new NodeInterfaceDto("home", ["10.0.0.1/24"], 51821, 1420),
            [.. peers.Select((p, i) => new PeerDto(p, p, Convert.ToBase64String(new byte[32].Select(_ => (byte)(i + 1)).ToArray()), [$"10.0.0.{i + 2}/32"], null, [], 20))],
            Epoch: epoch, ServerId: server);

    private static byte[] Wire(MeshUpdate u, byte[]? key = null) =>
        SignedEnvelope.Seal(key ?? ServerKey, JsonSerializer.SerializeToUtf8Bytes(u, ApplianceJsonContext.Default.MeshUpdate));

    private static MeshUpdate Delta(long from, long to, string? epoch, string? server) =>
        MeshDelta.Compute(Config(from, epoch, server, "a"), Config(to, epoch, server, "a", "b"), default);

    private static MeshUpdate NetworkDelta(long from, long to, string? epoch, string? server) => Delta(from, to, epoch, server) with
    {
        Kind = MeshUpdate.NetworkDeltaKind,
        NodeId = MeshUpdate.AnyMember,
        Name = string.Empty,
        Network = "home",
    };

    private static MeshUpdate Snapshot(long v, string? epoch, string? server) => MeshDelta.Snapshot(Config(v, epoch, server, "a", "b"), default);

    public static TheoryData<string, Func<byte[]>, MeshUpdateOutcome, string> Rows => new()
    {
        // The same lineage: versions as before.
        { "delta of our lineage", () => Wire(Delta(10, 11, "e1", "s1")), MeshUpdateOutcome.Applied, "delta v10→v11" },
        { "network delta of our lineage", () => Wire(NetworkDelta(10, 11, "e1", "s1")), MeshUpdateOutcome.Applied, "network-delta v10→v11" },
        { "older snapshot of our lineage (replay)", () => Wire(Snapshot(4, "e1", "s1")), MeshUpdateOutcome.Rejected, "replayed or stale" },
        // A network deleted and created again under the same name: a new epoch, versions from 1 again.
        { "delta of a network created again", () => Wire(Delta(10, 11, "e2", "s1")), MeshUpdateOutcome.Rejected, "another lineage" },
        { "network delta of a network created again", () => Wire(NetworkDelta(10, 11, "e2", "s1")), MeshUpdateOutcome.Rejected, "another lineage" },
        { "low delta of a network created again", () => Wire(Delta(1, 2, "e2", "s1")), MeshUpdateOutcome.Rejected, "another lineage" },
        { "snapshot of a network created again, lower version", () => Wire(Snapshot(2, "e2", "s1")), MeshUpdateOutcome.Applied, "new lineage (epoch e2)" },
        // Another database (restored from a backup, or another server's): another server id.
        { "delta of another database", () => Wire(Delta(10, 11, "e1", "s2")), MeshUpdateOutcome.Rejected, "another lineage" },
        { "snapshot of another database, lower version", () => Wire(Snapshot(3, "e1", "s2")), MeshUpdateOutcome.Applied, "new lineage" },
        // Without a lineage (an older server): nothing to compare versions in.
        { "delta without an epoch", () => Wire(Delta(10, 11, null, "s1")), MeshUpdateOutcome.Rejected, "without a network epoch" },
        { "snapshot without a server id", () => Wire(Snapshot(12, "e1", null)), MeshUpdateOutcome.Rejected, "without a network epoch" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Versions_count_within_one_lineage(string row, Func<byte[]> wire, MeshUpdateOutcome expected, string reason)
    {
        var outcome = _gate.Evaluate(wire(), Current, out var next, out var why);
        Assert.True(expected == outcome, $"{row}: {outcome} ({why})");
        Assert.True(why.Contains(reason, StringComparison.Ordinal), $"{row}: {why}");
        Assert.Equal(expected == MeshUpdateOutcome.Applied, next is not null);
        Assert.Equal(expected == MeshUpdateOutcome.Rejected ? 1 : 0, _gate.Rejected);
    }

    [Fact]
    public void After_a_snapshot_of_a_new_epoch_the_old_epoch_is_refused_and_the_new_one_followed()
    {
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(Snapshot(2, "e2", "s1")), Current, out var fresh, out _));
        Assert.Equal(("e2", "s1", 2L), (fresh!.Epoch, fresh.ServerId, fresh.Version));
        // The old network's updates, however high their versions, are refused...
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(Delta(2, 3, "e1", "s1")), fresh, out _, out var why));
        Assert.Contains("another lineage", why, StringComparison.Ordinal);
        // ...and the new one's deltas apply.
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(Delta(2, 3, "e2", "s1")), fresh, out var next, out _));
        Assert.Equal(("e2", 3L), (next!.Epoch, next.Version));
    }

    [Fact]
    public void A_snapshot_in_parts_of_a_new_epoch_is_taken_even_with_a_lower_version()
    {
        MeshUpdate Shared(int i, params string[] ids) => new()
        {
            Kind = MeshUpdate.SnapshotKind, NodeId = MeshUpdate.AnyMember, Name = string.Empty, Network = "home", ToVersion = 2,
            Part = i, Parts = 2, Epoch = "e2", ServerId = "s1",
            UpsertPeers = [.. ids.Select((p, k) => new PeerDto(p, p, Convert.ToBase64String(new byte[32].Select(_ => (byte)(k + 1)).ToArray()), [$"10.0.0.{k + 2}/32"], null, [], 20))],
        };
        var part = Wire(Shared(1, "me", "z"));
        var head = Snapshot(2, "e2", "s1") with { UpsertPeers = [], Part = 0, Parts = 2, PartDigests = [MeshSnapshotAssembler.Digest(part)] };
        Assert.Equal(MeshUpdateOutcome.Unchanged, _gate.Evaluate(Wire(head), Current, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(part, Current, out var next, out _));
        Assert.Equal(("e2", 2L, "z"), (next!.Epoch, next.Version, Assert.Single(next.Peers).NodeId));
    }

    private static MeshUpdate Announcement(byte[] nextKey) => new()
    {
        Kind = MeshUpdate.SigningKeyKind,
        NodeId = MeshUpdate.AnyMember,
        Name = string.Empty,
        ToVersion = 0,
        ServerId = "s1",
        NextSigningKey = Convert.ToBase64String(Ed25519.PublicKeyOf(nextKey)),
    };

    [Fact]
    public void An_announcement_signed_by_the_key_held_moves_the_gate_to_the_new_key()
    {
        var next = Ed25519.GeneratePrivateKey();
        Assert.Equal(MeshUpdateOutcome.SigningKeyChanged, _gate.Evaluate(Wire(Announcement(next)), Current, out var state, out var why));
        Assert.Null(state);
        Assert.Contains("signing key is now", why, StringComparison.Ordinal);
        Assert.Equal(Ed25519.PublicKeyOf(next), _gate.SigningKey);
        // From then on the new key's updates apply and the old key's are refused.
        Assert.Equal(MeshUpdateOutcome.Applied, _gate.Evaluate(Wire(Delta(10, 11, "e1", "s1"), next), Current, out _, out _));
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(Wire(Delta(10, 11, "e1", "s1")), Current, out _, out why));
        Assert.Contains("bad signature", why, StringComparison.Ordinal);
    }

    public static TheoryData<string, Func<byte[]>, string> BadAnnouncements => new()
    {
        { "signed by another key", () => Wire(Announcement(Ed25519.GeneratePrivateKey()), Ed25519.GeneratePrivateKey()), "bad signature" },
        { "addressed to one node", () => Wire(Announcement(Ed25519.GeneratePrivateKey()) with { NodeId = "me" }), "without a 32-byte Ed25519 key for every member" },
        { "a short key", () => Wire(Announcement(Ed25519.GeneratePrivateKey()) with { NextSigningKey = "AAAA" }), "without a 32-byte Ed25519 key" },
        { "not base64", () => Wire(Announcement(Ed25519.GeneratePrivateKey()) with { NextSigningKey = "not base64!" }), "without a 32-byte Ed25519 key" },
        { "the key already held", () => Wire(Announcement(ServerKey)), "already held" },
    };

    [Theory]
    [MemberData(nameof(BadAnnouncements))]
    public void Refuses_announcements_it_cannot_trust(string row, Func<byte[]> wire, string reason)
    {
        Assert.Equal(MeshUpdateOutcome.Rejected, _gate.Evaluate(wire(), Current, out _, out var why));
        Assert.True(why.Contains(reason, StringComparison.Ordinal), $"{row}: {why}");
        Assert.Equal(Ed25519.PublicKeyOf(ServerKey), _gate.SigningKey);
        Assert.Equal(1, _gate.Rejected);
    }

    [Fact]
    public void A_node_that_missed_rotations_follows_the_chain_from_the_key_it_holds()
    {
        var k2 = Ed25519.GeneratePrivateKey();
        var k3 = Ed25519.GeneratePrivateKey();
        var chain = new[] { Wire(Announcement(k2)), Wire(Announcement(k3), k2) };
        // Holding the first key: both steps.
        Assert.Equal([true, true], chain.Select(a => _gate.TryFollowAnnouncement(a, out _)));
        Assert.Equal(Ed25519.PublicKeyOf(k3), _gate.SigningKey);
        // Holding the second (joined after the first rotation): the first announcement is not for it, the second is.
        var late = new MeshUpdateGate(Ed25519.PublicKeyOf(k2), "me");
        Assert.Equal([false, true], chain.Select(a => late.TryFollowAnnouncement(a, out _)));
        Assert.Equal(Ed25519.PublicKeyOf(k3), late.SigningKey);
        Assert.Equal(0, late.Rejected);
        // An update is not an announcement.
        Assert.False(late.TryFollowAnnouncement(Wire(Snapshot(11, "e1", "s1"), k3), out _));
    }
}
