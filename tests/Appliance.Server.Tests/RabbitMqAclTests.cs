using System.Text.RegularExpressions;
using Appliance.Contracts.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>
/// The RabbitMQ permissions made from <see cref="MeshBrokerAcl"/>: routing keys are MQTT topics with '/' as '.' and
/// '+' as '*' (RabbitMQ 3.10's MQTT plugin), and the regexes accept exactly what the MQTT patterns cover.
/// </summary>
[Trait("Category", TestCategories.Unit)]
public sealed class RabbitMqAclTests
{
    private const string A = "0123456789abcdef0123456789abcdef";
    private const string B = "fedcba9876543210fedcba9876543210";

    private static readonly RabbitMqPermissions NodeA = RabbitMqAcl.For(A, MeshBrokerAcl.ForNode(A, ["home"]));
    private static readonly RabbitMqPermissions Server = RabbitMqAcl.For("appliance-server", MeshBrokerAcl.ForServer());

    // What the MQTT plugin makes of a topic or filter before it checks it.
    private static string Key(string mqtt) => mqtt.Replace('/', '.').Replace('+', '*');

    public static TheoryData<string, string, bool> NodeSubscriptions => new()
    {
        { "own updates", MeshTopics.Updates(A), true },
        { "own commands", MeshTopics.Commands(A), true },
        { "everything of its own", $"appliance/v1/node/{A}/#", true },
        { "one level of its own", $"appliance/v1/node/{A}/+", true },
        { "its network's topics", "appliance/v1/net/home/peers", true },
        { "another node's updates", MeshTopics.Updates(B), false },
        { "every node's updates", "appliance/v1/node/+/mesh", false },
        { "everything", "#", false },
        { "everything below the root", "appliance/v1/#", false },
        { "another network", "appliance/v1/net/office/peers", false },
        { "a network that starts like its own", "appliance/v1/net/homes/peers", false },
        { "its own id as a prefix", $"appliance/v1/node/{A}x/mesh", false },
        { "its reports (write only)", MeshTopics.Status(A), false },
    };

    [Theory]
    [MemberData(nameof(NodeSubscriptions))]
    public void A_node_reads_its_own_and_its_networks_topics_only(string row, string filter, bool allowed)
    {
        Assert.True(allowed == Regex.IsMatch(Key(filter), NodeA.TopicRead), $"{row}: {Key(filter)} against {NodeA.TopicRead}");
    }

    public static TheoryData<string, string, bool> NodePublishes => new()
    {
        { "own status", MeshTopics.Status(A), true },
        { "own resync", MeshTopics.Resync(A), true },
        { "another node's status", MeshTopics.Status(B), false },
        { "its own downlink (server only)", MeshTopics.Updates(A), false },
        { "another node's downlink", MeshTopics.Updates(B), false },
        { "a network topic", "appliance/v1/net/home/peers", false },
    };

    [Theory]
    [MemberData(nameof(NodePublishes))]
    public void A_node_writes_its_own_reports_only(string row, string topic, bool allowed)
    {
        Assert.True(allowed == Regex.IsMatch(Key(topic), NodeA.TopicWrite), $"{row}: {Key(topic)} against {NodeA.TopicWrite}");
    }

    [Fact]
    public void The_server_writes_every_downlink_and_reads_every_report_and_nothing_else()
    {
        Assert.Matches(Server.TopicWrite, Key(MeshTopics.Updates(A)));
        Assert.Matches(Server.TopicWrite, Key("appliance/v1/net/home/peers"));
        Assert.DoesNotMatch(Server.TopicWrite, Key(MeshTopics.Status(A)));
        Assert.Matches(Server.TopicRead, Key(MeshTopics.StatusFilter));
        Assert.Matches(Server.TopicRead, Key(MeshTopics.ResyncFilter));
        Assert.DoesNotMatch(Server.TopicRead, Key("#"));
        Assert.DoesNotMatch(Server.TopicRead, Key(MeshTopics.Updates(A)));
    }

    [Fact]
    public void A_client_may_only_make_its_own_session_queues()
    {
        Assert.Matches(NodeA.Configure, $"mqtt-subscription-{A}qos1");
        Assert.Matches(NodeA.Configure, $"mqtt-subscription-{A}qos0");
        Assert.DoesNotMatch(NodeA.Configure, $"mqtt-subscription-{B}qos1");
        Assert.DoesNotMatch(NodeA.Configure, "amq.topic");
        Assert.Matches(NodeA.Write, "amq.topic");
        Assert.DoesNotMatch(NodeA.Write, "amq.direct");
        Assert.Matches(NodeA.Read, $"mqtt-subscription-{A}qos1");
        Assert.DoesNotMatch(NodeA.Read, "mqtt-subscription-appliance-serverqos1");
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("x|.*")]
    public void A_client_id_that_would_bend_the_regex_is_refused(string clientId)
    {
        Assert.Throws<ArgumentException>(() => RabbitMqAcl.For(clientId, MeshBrokerAcl.ForServer()));
    }

    [Fact]
    public void The_servers_replicas_each_have_a_session_queue_of_their_own_and_no_one_elses()
    {
        var replicas = RabbitMqAcl.For("appliance-server", MeshBrokerAcl.ForServer(), replicas: true);
        var one = RabbitMqBrokerAccounts.ReplicaClientId("appliance-server", "host1", "/var/lib/appliance-server");
        var two = RabbitMqBrokerAccounts.ReplicaClientId("appliance-server", "host2", "/var/lib/appliance-server");
        Assert.NotEqual(one, two);
        Assert.Equal(one, RabbitMqBrokerAccounts.ReplicaClientId("appliance-server", "host1", "/var/lib/appliance-server"));
        foreach (var id in new[] { "appliance-server", one, two })
        {
            Assert.Matches(replicas.Configure, $"mqtt-subscription-{id}qos1");
        }
        Assert.DoesNotMatch(replicas.Configure, $"mqtt-subscription-{A}qos1");
        Assert.DoesNotMatch(replicas.Configure, "mqtt-subscription-appliance-server-xqos1");
        Assert.DoesNotMatch(Server.Configure, $"mqtt-subscription-{one}qos1");
    }

    [Fact]
    public void A_pattern_level_with_a_dot_cannot_be_mapped()
    {
        Assert.Throws<ArgumentException>(() => RabbitMqAcl.TopicRegex(["appliance/v1/net/a.b/#"]));
        Assert.Equal("", RabbitMqAcl.TopicRegex([]));
    }
}
