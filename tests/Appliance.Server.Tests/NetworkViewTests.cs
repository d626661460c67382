using System.Net;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Crypto;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

public sealed class NetworkViewTests
{
    private static readonly NetworkRecord Net = new("home", IPNetwork.Parse("10.10.0.0/24"), null, 51821, 1420, 20, 1, DateTimeOffset.UnixEpoch);

    private static readonly byte[] Key = Ed25519.GeneratePrivateKey();

    private static byte[] Sealed(MeshUpdate update) =>
        SignedEnvelope.Seal(Key, JsonSerializer.SerializeToUtf8Bytes(update, ApplianceJsonContext.Default.MeshUpdate));

    private static NodeRecord Node(int i, int port = 51821) => new(
        $"n{i}", "home", $"node{i}", $"node{i}", Convert.ToBase64String(Enumerable.Repeat((byte)i, 32).ToArray()),
        IPAddress.Parse($"10.10.0.{i}"), null, port, [$"192.0.2.{i}"], "linux", "1", [], "hash", null, DateTimeOffset.UnixEpoch, null);

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Each_member_gets_the_network_diff_minus_itself_and_reaches_its_full_config()
    {
        var v1Members = new[] { Node(1), Node(2), Node(3) };
        var v2Members = new[] { Node(1), Node(2, port: 52000), Node(4) }; // 2 changes port, 3 leaves, 4 joins
        var before = NetworkView.Build(Net, v1Members);
        var after = NetworkView.Build(Net with { Version = 2 }, v2Members);
        var step = NetworkViewStep.Between(before, after);
        var peers = step.PeerChanges(after);
        Assert.Equal(["n2", "n4"], peers.Upserts.Select(p => p.NodeId));
        Assert.Equal(["n3"], peers.Removes);

        foreach (var member in new[] { "n1", "n2" })
        {
            var delta = after.MemberDelta(member, step, peers, default);
            Assert.DoesNotContain(delta.UpsertPeers, p => p.NodeId == member);
            var old = NodeConfigBuilder.Build(v1Members.Single(m => m.Id == member), Net, v1Members);
            var expected = NodeConfigBuilder.Build(v2Members.Single(m => m.Id == member), Net with { Version = 2 }, v2Members);
            Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(old, delta)), member);
        }
        // Only node 2's own interface changed (its listen port).
        Assert.NotNull(after.MemberDelta("n2", step, peers, default).Interface);
        Assert.Null(after.MemberDelta("n1", step, peers, default).Interface);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_view_built_on_the_previous_one_shares_its_unchanged_records()
    {
        var v1Members = new[] { Node(1), Node(2), Node(3) };
        var v2Members = new[] { Node(1), Node(2, port: 52000), Node(4) };
        var before = NetworkView.Build(Net, v1Members);
        var after = NetworkView.Build(Net with { Version = 2 }, v2Members, before);
        Assert.Same(before.Peers["n1"], after.Peers["n1"]);
        Assert.Same(before.Members["n1"].Interface, after.Members["n1"].Interface);
        Assert.Same(before.Dns, after.Dns);
        Assert.NotSame(before.Peers["n2"], after.Peers["n2"]);
        Assert.Equal("192.0.2.2:52000", after.Peers["n2"].Endpoint);
        Assert.Equal(52000, after.Members["n2"].Interface.ListenPort);
        // Sharing changes nothing a member is told.
        var fresh = NetworkView.Build(Net with { Version = 2 }, v2Members);
        Assert.Equal(NetworkViewStep.Between(before, fresh).PeerChanges(fresh).Upserts.Select(p => p.NodeId), NetworkViewStep.Between(before, after).PeerChanges(after).Upserts.Select(p => p.NodeId));
        foreach (var m in v2Members)
        {
            Assert.True(MeshDelta.SameConfig(MeshDelta.Apply(null, fresh.Snapshot(m.Id, default)), MeshDelta.Apply(null, after.Snapshot(m.Id, default))), m.Id);
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void A_view_seals_its_shared_parts_once()
    {
        var view = NetworkView.Build(Net, [.. Enumerable.Range(1, 9).Select(i => Node(i))]);
        var seals = 0;
        byte[] Counted(MeshUpdate u)
        {
            seals++;
            return Sealed(u);
        }
        var first = view.SealedSharedParts(Counted, default);
        var again = view.SealedSharedParts(Counted, DateTimeOffset.UnixEpoch.AddHours(1));
        Assert.Same(first.Parts, again.Parts);
        Assert.Equal(first.Parts.Select(p => MeshSnapshotAssembler.Digest(p)), first.Digests);
        Assert.Equal(view.SharedSnapshotParts(default).Count, seals);
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Snapshot_equals_the_config_the_api_serves()
    {
        var members = new[] { Node(1), Node(2), Node(3) };
        var view = NetworkView.Build(Net, members);
        var fromView = MeshDelta.Apply(null, view.Snapshot("n2", default));
        Assert.True(MeshDelta.SameConfig(NodeConfigBuilder.Build(members[1], Net, members), fromView));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void The_network_delta_and_snapshot_parts_reach_the_same_configs()
    {
        var v1Members = Enumerable.Range(1, 9).Select(i => Node(i)).ToArray();
        var v2Members = v1Members.Where(m => m.Id != "n3").Select(m => m.Id == "n2" ? Node(2, port: 52000) : m).Append(Node(20)).ToArray();
        var before = NetworkView.Build(Net, v1Members);
        var after = NetworkView.Build(Net with { Version = 2 }, v2Members);
        var step = NetworkViewStep.Between(before, after);
        // n2's listen port is its own interface: it is excluded from the shared delta and gets its own.
        Assert.Equal(["n2"], step.OwnChanged(after));
        var shared = after.NetworkDelta(step, step.PeerChanges(after), ["n2"], default);
        foreach (var member in v2Members.Where(m => m.Id is not "n2" and not "n20"))
        {
            var old = NodeConfigBuilder.Build(v1Members.Single(m => m.Id == member.Id), Net, v1Members);
            var expected = NodeConfigBuilder.Build(member, Net with { Version = 2 }, v2Members);
            Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(old, shared)), member.Id);

            // A snapshot in parts of 3 peers, put together the way the agent does, is the whole snapshot: the member's
            // own head listing the digests of the signed shared parts, then the parts every member shares (all 9
            // members, this one included).
            var sharedParts = after.SharedSnapshotParts(default, peersPerPart: 3);
            Assert.Equal([1, 2, 3], sharedParts.Select(p => p.Part!.Value));
            Assert.All(sharedParts, p => Assert.Equal((MeshUpdate.AnyMember, "home", 4), (p.NodeId, p.Network, p.Parts)));
            Assert.Equal(v2Members.Select(m => m.Id).Order(), sharedParts.SelectMany(p => p.UpsertPeers).Select(p => p.NodeId).Order());
            var wires = sharedParts.Select(Sealed).ToList();
            var head = after.SnapshotHead(member.Id, [.. wires.Select(w => MeshSnapshotAssembler.Digest(w))], default);
            Assert.Equal((0, 4), (head.Part, head.Parts));
            Assert.Empty(head.UpsertPeers);
            var assembler = new MeshSnapshotAssembler();
            MeshUpdate? whole = null;
            foreach (var (part, wire) in sharedParts.Zip(wires).Reverse().Append((head, Sealed(head))))
            {
                assembler.TryAdd(part, wire, out whole, out var malformed, out var why);
                Assert.False(malformed, why);
            }
            Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(null, whole!)), member.Id);
            Assert.False(after.SnapshotInParts());
            Assert.True(MeshDelta.SameConfig(expected, MeshDelta.Apply(null, after.Snapshot(member.Id, default))), member.Id);
        }
    }
}
