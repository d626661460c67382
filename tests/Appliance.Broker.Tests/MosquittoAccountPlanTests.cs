using Appliance.Broker.Mosquitto;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>Reconciling the dynamic-security plugin's accounts with the server's nodes, and the server's own ACL.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MosquittoAccountPlanTests
{
    private const string Server = "appliance-server";
    private const string Marker = "appliance-node";

    private static MosquittoDynSecRoleInfo Role(string name, MqttTopicAcl acl, string? text = Marker) => new(name, text, MosquittoDynSecAcl.ForRole(acl));

    private static string Describe(MosquittoDynSecCommand c) => c.Describe();

    [Fact]
    public void Known_nodes_keep_their_login_stale_acls_are_rewritten_gone_nodes_are_deleted_missing_ones_reported()
    {
        var clients = new MosquittoDynSecClientInfo[]
        {
            new("admin", "Dynsec admin user", ["admin"]),
            new(Server, null, [Server]),
            new("n1", Marker, ["n1"]),
            new("n3", Marker, ["n3"]),
            new("gone", Marker, ["gone"]),
            new("someone-elses", null, []), // not ours: never touched
        };
        var roles = new[]
        {
            Role("admin", MqttTopicAcl.AllowAll, "admin"),
            Role(Server, MeshAcls.Server(), null),
            Role("n1", MqttTopicAcl.DenyAll), // stale ACL: rebuilt from the server's data
            Role("n3", MeshAcls.Node("n3", "lab")),
            Role("gone", MeshAcls.Node("gone", "lab")),
            Role("orphan", MeshAcls.Node("orphan", "lab")), // a join that stopped between createRole and createClient
        };
        var nodes = new Dictionary<string, MqttTopicAcl> { ["n1"] = MeshAcls.Node("n1", "lab"), ["n2"] = MeshAcls.Node("n2", "home"), ["n3"] = MeshAcls.Node("n3", "lab") };

        var plan = MosquittoAccountPlan.Reconcile(clients, roles, nodes, Marker, Server, "server-secret", MeshAcls.Server());

        Assert.Equal(
            [$"setClientPassword {Server}", "deleteClient gone", "deleteRole gone", "deleteRole orphan", "modifyRole n1"],
            plan.Commands.Select(Describe));
        Assert.Equal(MosquittoDynSecAcl.ForRole(MeshAcls.Node("n1", "lab")).Count, plan.Commands[^1].Fields["acls"]!.AsArray().Count);
        Assert.Equal(["gone"], plan.Removed);
        Assert.Equal(["n2"], plan.NodesWithoutLogin);
        Assert.Equal(["n1"], plan.RolesRewritten);
    }

    [Fact]
    public void A_fresh_broker_gets_the_servers_role_and_login()
    {
        var plan = MosquittoAccountPlan.Reconcile([new("admin", null, ["admin"])], [], new Dictionary<string, MqttTopicAcl>(), Marker, Server, "pw", MeshAcls.Server());
        Assert.Equal([$"createRole {Server}", $"createClient {Server}"], plan.Commands.Select(Describe));
        Assert.Equal("pw", plan.Commands[1].Fields["password"]!.GetValue<string>());
        Assert.Equal(Server, plan.Commands[1].Fields["roles"]![0]!["rolename"]!.GetValue<string>());
    }

    [Fact]
    public void A_login_without_its_role_gets_it_back()
    {
        var plan = MosquittoAccountPlan.Reconcile(
            [new(Server, null, [Server]), new("n1", Marker, [])], [Role(Server, MeshAcls.Server(), null)],
            new Dictionary<string, MqttTopicAcl> { ["n1"] = MeshAcls.Node("n1", "lab") }, Marker, Server, "pw", MeshAcls.Server());
        Assert.Equal([$"setClientPassword {Server}", "createRole n1", "modifyClient n1"], plan.Commands.Select(Describe));
    }

    [Fact]
    public void A_node_role_allows_its_own_topics_and_denies_receiving_anything_else()
    {
        var entries = MosquittoDynSecAcl.ForRole(MeshAcls.Node("n1", "lab"));
        Assert.Equal(
            [
                ("subscribePattern", "appliance/v1/node/n1/#", true, 1), ("publishClientReceive", "appliance/v1/node/n1/#", true, 1),
                ("subscribePattern", "appliance/v1/net/lab/#", true, 1), ("publishClientReceive", "appliance/v1/net/lab/#", true, 1),
                ("publishClientSend", "appliance/v1/report/n1/#", true, 1),
                ("publishClientReceive", "#", false, 0),
            ],
            entries.Select(e => (e.Type, e.Topic, e.Allow, e.Priority)));
        // An allow on "#" leaves no deny (the plugin keys one type's ACLs by topic).
        Assert.DoesNotContain(MosquittoDynSecAcl.ForRole(MqttTopicAcl.AllowAll), e => !e.Allow);
        Assert.True(MosquittoDynSecAcl.Same(entries, entries.Reverse()));
        Assert.False(MosquittoDynSecAcl.Same(entries, MosquittoDynSecAcl.ForRole(MeshAcls.Node("n1", "home"))));
    }

    public static TheoryData<string, string, bool, bool> ServerAclRows() => new()
    {
        // name, topic, may publish, may subscribe (as a filter)
        { "a node's downlink", "appliance/v1/node/n1/mesh", true, false },
        { "a network topic", "appliance/v1/net/lab/dns", true, false },
        { "a node's status report", "appliance/v1/report/n1/status", false, true },
        { "every report", "appliance/v1/report/+/status", false, true },
        { "everything", "#", false, false },
        { "a foreign tree", "$SYS/broker/clients", false, false },
    };

    [Theory]
    [MemberData(nameof(ServerAclRows))]
    public void The_server_acl_writes_downlinks_and_reads_reports_only(string name, string topic, bool publish, bool subscribe)
    {
        var acl = MeshAcls.Server();
        if (!topic.Contains('+', StringComparison.Ordinal) && !topic.Contains('#', StringComparison.Ordinal))
        {
            Assert.True(acl.CanPublish(topic) == publish, name);
        }
        Assert.True(acl.CanSubscribe(topic) == subscribe, name);
    }
}
