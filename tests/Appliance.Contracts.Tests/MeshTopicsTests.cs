using Appliance.Contracts.Mesh;
using Appliance.TestSupport;

namespace Appliance.Contracts.Tests;

/// <summary>
/// The topic scheme on the wire: these names are what deployed agents and brokers already use, so a change here
/// breaks every node of an older version. Golden strings, not a rebuild of the formulas.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MeshTopicsTests
{
    [Fact]
    public void Topics_are_spelled_as_on_the_wire()
    {
        Assert.Equal("appliance/v1/node/n1/mesh", MeshTopics.Updates("n1"));
        Assert.Equal("appliance/v1/report/n1/status", MeshTopics.Status("n1"));
        Assert.Equal("appliance/v1/report/n1/resync", MeshTopics.Resync("n1"));
        Assert.Equal("appliance/v1/report/+/status", MeshTopics.StatusFilter);
        Assert.Equal("appliance/v1/report/+/resync", MeshTopics.ResyncFilter);
    }

    public static TheoryData<string, string, string?> ReportTopics() => new()
    {
        // name, topic, node id
        { "a status report", "appliance/v1/report/n1/status", "n1" },
        { "a resync request", "appliance/v1/report/n-42/resync", "n-42" },
        { "a deeper report topic", "appliance/v1/report/n1/a/b", "n1" },
        { "the node level alone", "appliance/v1/report/n1", "n1" },
        { "a downlink topic", "appliance/v1/node/n1/mesh", null },
        { "another version", "appliance/v2/report/n1/status", null },
        { "a prefix that only looks alike", "appliance/v1/reports/n1/status", null },
        { "no node level", "appliance/v1/report", null },
        { "empty", "", null },
    };

    [Theory]
    [MemberData(nameof(ReportTopics))]
    public void The_node_of_a_report_topic_is_its_fourth_level(string name, string topic, string? node) =>
        Assert.True(MeshTopics.NodeOfReport(topic) == node, $"{name}: got {MeshTopics.NodeOfReport(topic) ?? "null"}");

    [Fact]
    public void A_node_reads_its_own_downlink_and_its_networks_and_writes_its_own_reports()
    {
        var access = MeshTopics.NodeAccess("n7", ["lab", "prod"]);
        Assert.Equal(["appliance/v1/node/n7/#", "appliance/v1/net/lab/#", "appliance/v1/net/prod/#"], access.Read);
        Assert.Equal(["appliance/v1/report/n7/#"], access.Write);
    }

    [Fact]
    public void The_server_writes_every_downlink_and_reads_every_report()
    {
        var access = MeshTopics.ServerAccess();
        Assert.Equal(["appliance/v1/report/+/#"], access.Read);
        Assert.Equal(["appliance/v1/node/+/#", "appliance/v1/net/+/#"], access.Write);
    }
}
