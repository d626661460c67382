using Appliance.Contracts.Mesh;
using Appliance.Server.Mesh;
using Appliance.Server.Store;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// Which way each member is sent one step (<see cref="MeshFanoutPlan"/>): once on the network's shared topic for the
/// members that read it, on the node topic for a follower that reads only its own, and a delta of its own for a
/// member whose share differs, which the shared message names in Except whether it follows or not.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshFanoutPlanTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static HashSet<string> Set(params string[] ids) => new(ids, StringComparer.Ordinal);

    // One write applied to the view as the publisher does, and the plan for it.
    private static (MeshFanoutPlan Plan, NetworkView View, NetworkViewStep Step, MeshPeerChanges Peers) Step(
        NetworkView view, NetworkChangeSet write, HashSet<string> followers, HashSet<string> ownTopicOnly, bool perNodeOnly = false)
    {
        var step = new NetworkViewStep(view);
        Assert.True(view.TryApply(write, step));
        var peers = step.PeerChanges(view);
        var own = new HashSet<string>(step.OwnChanged(view), StringComparer.Ordinal);
        _ = step.OnTheirOwn(view, view.Members.Keys, peers, own);
        return (MeshFanoutPlan.Choose(view, step, own, followers, ownTopicOnly, perNodeOnly), view, step, peers);
    }

    [Fact]
    public void Without_a_policy_a_change_goes_once_on_the_shared_topic_and_per_node_only_to_older_agents()
    {
        var world = new MeshWorld(new Random(1), nodes: 4);
        var view = NetworkView.Build(world.State());
        var all = Set([.. world.NodeIds]);
        // id0001 and id0002 run an older agent: they read only their own topic. id0002's endpoint moves: every
        // member is told the same peer change, and id0002 itself its own (its interface lists its candidates).
        var (plan, after, step, peers) = Step(view, world.UpdateNode("id0002"), all, Set("id0001", "id0002"));
        Assert.Equal("id0002", Assert.Single(peers.Upserts).NodeId);
        Assert.True(plan.Shared);
        Assert.Equal(["id0002"], plan.Except);
        Assert.Equal(["id0002"], plan.OwnDelta);
        Assert.Equal(["id0001"], plan.NetworkDeltaPerNode);
        Assert.Equal(["id0002"], after.NetworkDelta(step, peers, plan.Except, At).Except);

        // Forced per node (Mesh:PerNodeUpdates, main's way): nothing shared, every other follower on its own topic.
        (plan, _, _, _) = Step(after, world.UpdateNode("id0004"), all, Set(), perNodeOnly: true);
        Assert.False(plan.Shared);
        Assert.Equal(["id0001", "id0002", "id0003"], plan.NetworkDeltaPerNode);
        Assert.Equal(["id0004"], plan.OwnDelta);
    }

    [Fact]
    public void Under_a_policy_members_whose_share_differs_are_named_in_except_followers_or_not()
    {
        var world = new MeshWorld(new Random(2), nodes: 4);
        world.ChangeNode("id0001", n => n with { Tags = ["office"] });
        world.ChangeNode("id0002", n => n with { Tags = ["printer"] });
        world.ChangeNode("id0003", n => n with { Tags = ["iot"] });
        world.ChangeNode("id0004", n => n with { Tags = ["office"] });
        world.SetPolicy("""{ "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["*"] } ] }""");
        var view = NetworkView.Build(world.State());
        // id0003 (iot) has not asked for updates since this server started, but it may read the shared topic.
        var (plan, after, _, peers) = Step(view, world.UpdateNode("id0002"), Set("id0001", "id0002", "id0004"), Set());
        Assert.Equal("id0002", Assert.Single(peers.Upserts).NodeId);
        // The offices see the printer move, as the network delta says, and the printer its own record. iot does not
        // see the printer: its share (nothing) is not the network's, so the shared message must name it even though
        // it is no follower (nothing is sent to it; it takes its snapshot when it asks).
        Assert.True(plan.Shared);
        Assert.Equal(["id0002", "id0003"], plan.Except);
        Assert.Equal(["id0002"], plan.OwnDelta);
        Assert.Empty(plan.NetworkDeltaPerNode);
        Assert.False(after.Policy!.Connected("id0003", "id0002"));
        Assert.True(after.Policy!.Connected("id0001", "id0002"));
    }

    [Fact]
    public void A_step_where_more_members_differ_than_except_may_name_is_sent_per_node()
    {
        var world = new MeshWorld(new Random(3), nodes: MeshFanoutPlan.MaxExcept + 20);
        var view = NetworkView.Build(world.State());
        var all = Set([.. world.NodeIds]);
        // A policy set: every member's filter changes, so every member needs its own delta.
        var (plan, _, _, _) = Step(view, world.SetPolicy("""{ "rules": [ { "from": ["*"], "to": ["*"], "ports": ["tcp:22"] } ] }"""), all, Set());
        Assert.False(plan.Shared);
        Assert.Equal(all.Count, plan.Except.Count);
        Assert.Equal(all.Count, plan.OwnDelta.Count);
        Assert.Empty(plan.NetworkDeltaPerNode);
        Assert.False(plan.SendsNetworkDelta);
    }
}
