using System.Net;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// A view kept current from change sets (record by record) is the view built whole from the same records, and the
/// deltas of every step are the ones <see cref="MeshDelta.Compute"/> gives between each member's configs.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class NetworkViewIncrementalTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Change_sets_applied_one_by_one_give_the_view_a_full_rebuild_gives(int seed)
    {
        var world = new MeshWorld(new Random(seed), nodes: 12);
        var view = NetworkView.Build(world.State());
        for (var round = 0; round < 60; round++)
        {
            var beforeState = world.State();
            var before = NetworkView.Build(beforeState);
            // Up to three writes in one step: changes that arrive while a round is being sent go out together.
            var step = new NetworkViewStep(view);
            var writes = world.Random.Next(1, 4);
            for (var w = 0; w < writes; w++)
            {
                Assert.True(view.TryApply(world.RandomWrite(), step), $"seed {seed} round {round}");
            }
            var afterState = world.State();
            var full = NetworkView.Build(afterState);
            AssertSameView(full, view, $"seed {seed} round {round}");
            AssertDeltasAreComputes(before, beforeState, full, afterState, view, step, $"seed {seed} round {round}");
        }
    }

    /// <summary>
    /// The same with access policies in the random worlds (set, changed and removed; tags changed): the incremental
    /// view is the rebuilt one (every member's snapshot, filtered peers and filter included), and what the publisher
    /// sends each member (its own delta when its share differs, else the network delta) takes it from the config
    /// the API computed before to the one it computes after.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Under_policies_incremental_views_and_per_member_deltas_match_a_rebuild(int seed)
    {
        var world = new MeshWorld(new Random(seed), nodes: 10, policies: true);
        var view = NetworkView.Build(world.State());
        var policed = 0;
        for (var round = 0; round < 80; round++)
        {
            var beforeState = world.State();
            var step = new NetworkViewStep(view);
            var writes = world.Random.Next(1, 4);
            for (var w = 0; w < writes; w++)
            {
                Assert.True(view.TryApply(world.RandomWrite(), step), $"seed {seed} round {round}");
            }
            var afterState = world.State();
            var because = $"seed {seed} round {round}";
            AssertSameView(NetworkView.Build(afterState), view, because);
            policed += view.Policy is null ? 0 : 1;

            var peers = step.PeerChanges(view);
            var own = new HashSet<string>(step.OwnChanged(view), StringComparer.Ordinal);
            var theirs = step.OnTheirOwn(view, view.Members.Keys, peers, own);
            // What the publisher sends: every member follows, one in three reads only its own topic (an older agent).
            var followers = new HashSet<string>(view.Members.Keys, StringComparer.Ordinal);
            var ownTopicOnly = new HashSet<string>(view.Members.Keys.Where(id => (id.GetHashCode(StringComparison.Ordinal) & 0x7fffffff) % 3 == 0), StringComparer.Ordinal);
            var plan = MeshFanoutPlan.Choose(view, step, own, followers, ownTopicOnly, perNodeOnly: false);
            var shared = view.NetworkDelta(step, peers, plan.Except, At);
            foreach (var node in afterState.Nodes.Where(n => beforeState.NodesById.ContainsKey(n.Id)))
            {
                var from = NodeConfigBuilder.Build(beforeState, beforeState.NodesById[node.Id]);
                var to = NodeConfigBuilder.Build(afterState, node);
                // Everything that reaches the member, on either topic; it applies what does not name it in Except
                // (the agent's gate), and that must be exactly one update that takes it to what the API computes.
                var received = new List<MeshUpdate>();
                if (plan.OwnDelta.Contains(node.Id))
                {
                    received.Add(view.MemberDelta(node.Id, step, theirs?.GetValueOrDefault(node.Id) ?? peers, At));
                }
                if (plan.NetworkDeltaPerNode.Contains(node.Id) || (plan.Shared && !ownTopicOnly.Contains(node.Id)))
                {
                    received.Add(shared);
                }
                var applied = received.Where(u => !u.Except.Contains(node.Id)).ToList();
                Assert.True(applied.Count == 1, $"{because}: {node.Id} would apply {applied.Count} updates for one version");
                Assert.True(MeshDelta.SameConfig(to, MeshDelta.Apply(from, applied[0])), $"{because}: {node.Id} ({applied[0].Kind})");
            }
        }
        Assert.True(policed > 10, $"seed {seed}: only {policed} rounds had a policy");
    }

    [Fact]
    public void A_set_that_skips_a_version_or_changes_the_networks_settings_is_not_applied()
    {
        var world = new MeshWorld(new Random(7), nodes: 3);
        var view = NetworkView.Build(world.State());
        var step = new NetworkViewStep(view);
        var next = world.RandomWrite();
        Assert.False(view.TryApply(next with { Version = next.Version + 1 }, step));
        Assert.False(view.TryApply(next with { Changes = [.. next.Changes, new StoreChange(ChangeKind.Network, "")] }, step));
        Assert.False(view.TryApply(next with { Changes = [new StoreChange(ChangeKind.Node, "nobody")] }, step)); // the record is missing
        Assert.Equal(world.Version - 1, view.Version);
        Assert.Empty(step.TouchedPeers);
        Assert.True(view.TryApply(next, step));
        AssertSameView(NetworkView.Build(world.State()), view, "after the set");
    }

    [Fact]
    public void A_change_touches_only_the_records_it_changed()
    {
        var world = new MeshWorld(new Random(11), nodes: 200);
        var view = NetworkView.Build(world.State());
        var step = new NetworkViewStep(view);
        Assert.True(view.TryApply(world.UpdateNode(world.NodeIds[17]), step));
        Assert.Equal([world.NodeIds[17]], step.TouchedPeers);
    }

    private static void AssertSameView(NetworkView expected, NetworkView actual, string because)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Peers.Keys.Order(), actual.Peers.Keys.Order());
        Assert.All(expected.Peers, p => Assert.True(MeshDelta.SamePeer(p.Value, actual.Peers[p.Key]), $"{because}: peer {p.Key}"));
        Assert.Equal(expected.Members.Keys.Order(), actual.Members.Keys.Order());
        Assert.All(expected.Members, m => Assert.True(
            m.Value.Name == actual.Members[m.Key].Name && MeshDelta.SameInterface(m.Value.Interface, actual.Members[m.Key].Interface), $"{because}: member {m.Key}"));
        Assert.Equal(expected.Gateways.Keys.Order(), actual.Gateways.Keys.Order());
        Assert.All(expected.Gateways, g => Assert.True(MeshDelta.SameGateway(g.Value, actual.Gateways[g.Key]), $"{because}: gateway {g.Key}"));
        Assert.True(MeshDelta.SameDns(expected.Dns, actual.Dns), $"{because}: dns");
        // What a member is told in a snapshot is the same bytes either way.
        foreach (var id in expected.Members.Keys)
        {
            Assert.Equal(Json(expected.Snapshot(id, At)), Json(actual.Snapshot(id, At)));
        }
    }

    // The incremental step's updates against the configs the API computes: the member delta of each member is
    // MeshDelta.Compute of its configs before and after, and the network delta takes every other member there too.
    private static void AssertDeltasAreComputes(
        NetworkView before, NetworkState beforeState, NetworkView full, NetworkState afterState, NetworkView view, NetworkViewStep step, string because)
    {
        var peers = step.PeerChanges(view);
        var fullStep = NetworkViewStep.Between(before, full);
        Assert.Equal(Json(fullStep.PeerChanges(full)), Json(peers));
        Assert.Equal(fullStep.OwnChanged(full), step.OwnChanged(view));
        var own = step.OwnChanged(view);
        var shared = view.NetworkDelta(step, peers, own, At);
        Assert.Equal(Json(full.NetworkDelta(fullStep, fullStep.PeerChanges(full), own, At)), Json(shared));
        foreach (var node in afterState.Nodes.Where(n => beforeState.NodesById.ContainsKey(n.Id)))
        {
            var from = NodeConfigBuilder.Build(beforeState, beforeState.NodesById[node.Id]);
            var to = NodeConfigBuilder.Build(afterState, node);
            var computed = MeshDelta.Compute(from, to, At);
            Assert.Equal(Json(computed), Json(view.MemberDelta(node.Id, step, peers, At)));
            Assert.True(MeshDelta.SameConfig(to, MeshDelta.Apply(from, view.MemberDelta(node.Id, step, peers, At))), $"{because}: {node.Id}");
            if (!own.Contains(node.Id))
            {
                // Nothing of its own changed: the shared delta says to it what Compute says, and takes it to its config.
                Assert.Equal((computed.Interface, computed.Gateway), (null, null));
                Assert.Equal(Json(computed.UpsertPeers), Json(shared.UpsertPeers.Where(p => p.NodeId != node.Id).ToList()));
                Assert.Equal(computed.RemovePeers, shared.RemovePeers.Where(id => id != node.Id));
                Assert.True(MeshDelta.SameConfig(to, MeshDelta.Apply(from, shared)), $"{because}: {node.Id} shared");
            }
        }
    }

    private static string Json(MeshUpdate u) => JsonSerializer.Serialize(u, ApplianceJsonContext.Default.MeshUpdate);

    private static string Json(IReadOnlyList<PeerDto> peers) => string.Join('\n', peers.Select(p => JsonSerializer.Serialize(p, ApplianceJsonContext.Default.PeerDto)));

    private static string Json(MeshPeerChanges c) => Json(c.Upserts) + "|" + string.Join(',', c.Removes);
}
