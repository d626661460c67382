namespace Appliance.Server.Mesh;

/// <summary>
/// Which way each member is sent one step of its network (pure): the network delta once on the network's shared
/// topic (<see cref="Contracts.Mesh.MeshTopics.NetworkUpdates"/>) for every member that reads it, the network delta on
/// the node's own topic for a follower that does not (an older agent), and a delta of its own on its node topic for a
/// member whose share differs (its own records changed, or under a policy its peers or filter). Every member that was
/// in the network before the step and whose share differs is named in <see cref="Except"/>, follower or not: a member
/// applies the shared message only when it is not named there, so each member applies exactly one update per
/// version whichever topic it reads.
/// </summary>
public sealed class MeshFanoutPlan
{
    /// <summary>
    /// The most members a shared network delta names in <see cref="Except"/> (~40 bytes each). A step where more
    /// members differ (a policy change that touches most of the network) is sent per node, as before the shared topic.
    /// </summary>
    public const int MaxExcept = 512;

    private MeshFanoutPlan(bool shared, IReadOnlyList<string> except, IReadOnlyList<string> own, IReadOnlyList<string> perNode)
    {
        (Shared, Except, OwnDelta, NetworkDeltaPerNode) = (shared, except, own, perNode);
    }

    /// <summary>True: the network delta goes once on the network's shared topic.</summary>
    public bool Shared { get; }

    /// <summary>The members the network delta does not cover (in name order): they must not apply it.</summary>
    public IReadOnlyList<string> Except { get; }

    /// <summary>Followers sent a delta of their own on their node topic.</summary>
    public IReadOnlyList<string> OwnDelta { get; }

    /// <summary>Followers sent the network delta on their node topic (they do not read the shared one, or the step is not shared).</summary>
    public IReadOnlyList<string> NetworkDeltaPerNode { get; }

    /// <summary>True when the network delta is sent at all (shared, or to someone on a node topic).</summary>
    public bool SendsNetworkDelta => Shared || NetworkDeltaPerNode.Count > 0;

    /// <summary>
    /// Chooses for one step. <paramref name="own"/>: the members whose share differs (<see cref="NetworkViewStep.OwnChanged"/>
    /// and <see cref="NetworkViewStep.OnTheirOwn"/> over every member); <paramref name="followers"/>: the nodes that
    /// asked for updates since this server started; <paramref name="ownTopicOnly"/>: those of them that read only their
    /// own topic; <paramref name="perNodeOnly"/>: never use the shared topic (<c>Mesh:PerNodeUpdates</c>).
    /// Costs O(own + followers that read only their own topic) when shared, O(members) otherwise.
    /// </summary>
    public static MeshFanoutPlan Choose(NetworkView after, NetworkViewStep step, IReadOnlySet<string> own,
        IReadOnlySet<string> followers, IReadOnlySet<string> ownTopicOnly, bool perNodeOnly)
    {
        var except = own.Where(id => step.WasMember(id, after) && after.Members.ContainsKey(id)).ToList();
        except.Sort((a, b) =>
        {
            var c = string.CompareOrdinal(after.Members[a].Name, after.Members[b].Name);
            return c != 0 ? c : string.CompareOrdinal(a, b);
        });
        var ownDelta = except.Where(followers.Contains).ToList();
        var shared = !perNodeOnly && except.Count <= MaxExcept;
        // Only followers are sent anything on their node topic: a node that never asked has nothing to apply a delta to.
        IEnumerable<string> perNode = shared ? ownTopicOnly.Where(after.Members.ContainsKey) : after.Members.Keys.Where(followers.Contains);
        var perNodeList = perNode.Where(id => !own.Contains(id) && step.WasMember(id, after)).Order(StringComparer.Ordinal).ToList();
        return new MeshFanoutPlan(shared, except, ownDelta, perNodeList);
    }
}
