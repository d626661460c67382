using Appliance.Contracts.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The ACLs the server hands to a broker that knows no topic scheme: built from the shared scheme, they allow exactly
/// the topics the server and the agent use (<see cref="MeshTopics"/>), for the right principal only.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshBrokerAclTests
{
    public static TheoryData<string, string, bool, bool> NodeRows() => new()
    {
        // name, topic or filter, node n1 of network lab may publish, may subscribe
        { "its own updates", MeshTopics.Updates("n1"), false, true },
        { "its network's shared topics", "appliance/v1/net/lab/peers", false, true },
        { "its own status report", MeshTopics.Status("n1"), true, false },
        { "its own snapshot request", MeshTopics.Resync("n1"), true, false },
        { "another node's updates", MeshTopics.Updates("n2"), false, false },
        { "another node's report", MeshTopics.Status("n2"), false, false },
        { "another network", "appliance/v1/net/prod/peers", false, false },
        { "every node's updates", "appliance/v1/node/+/mesh", false, false },
        { "every report", MeshTopics.StatusFilter, false, false },
        { "everything", "#", false, false },
    };

    [Theory]
    [MemberData(nameof(NodeRows))]
    public void A_node_uses_its_own_topics_only(string name, string topic, bool publish, bool subscribe)
    {
        var acl = MeshBrokerAcl.ForNode("n1", ["lab"]);
        if (!topic.Contains('+', StringComparison.Ordinal) && !topic.Contains('#', StringComparison.Ordinal))
        {
            Assert.True(acl.CanPublish(topic) == publish, $"{name}: publish");
        }
        Assert.True(acl.CanSubscribe(topic) == subscribe, $"{name}: subscribe");
    }

    public static TheoryData<string, string, bool, bool> ServerRows() => new()
    {
        // name, topic or filter, the server may publish, may subscribe
        { "a node's updates", MeshTopics.Updates("n1"), true, false },
        { "a network's shared topics", "appliance/v1/net/lab/peers", true, false },
        { "every status report", MeshTopics.StatusFilter, false, true },
        { "every snapshot request", MeshTopics.ResyncFilter, false, true },
        { "a node's report in its name", MeshTopics.Status("n1"), false, true },
        { "everything", "#", false, false },
        { "a foreign tree", "$SYS/broker/clients", false, false },
    };

    [Theory]
    [MemberData(nameof(ServerRows))]
    public void The_server_writes_downlinks_and_reads_reports_only(string name, string topic, bool publish, bool subscribe)
    {
        var acl = MeshBrokerAcl.ForServer();
        if (!topic.Contains('+', StringComparison.Ordinal) && !topic.Contains('#', StringComparison.Ordinal))
        {
            Assert.True(acl.CanPublish(topic) == publish, $"{name}: publish");
        }
        Assert.True(acl.CanSubscribe(topic) == subscribe, $"{name}: subscribe");
    }
}
