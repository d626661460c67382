using Appliance.Broker.Mosquitto;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>Reconciling Mosquitto's accounts with the server's nodes, and the server's own ACL.</summary>
[Trait("Category", TestCategories.Unit)]
public sealed class MosquittoAccountPlanTests
{
    private const string Server = "appliance-server";

    [Fact]
    public void Known_nodes_keep_their_hash_and_get_the_node_acl_gone_nodes_are_dropped_missing_ones_reported()
    {
        var serverHash = MosquittoPasswordHash.Create("server-secret");
        var current = new[]
        {
            new MosquittoUser(Server, serverHash, MqttTopicAcl.AllowAll),
            new MosquittoUser("n1", "$7$101$a$kept", MqttTopicAcl.DenyAll), // stale ACL: rebuilt from the policy
            new MosquittoUser("gone", "$7$101$b$x", MeshAcls.Node("gone", "lab")),
        };
        // The ACLs are the server's data: the plan takes them as given (here a node reading one network only).
        var nodes = new Dictionary<string, MqttTopicAcl> { ["n1"] = MeshAcls.Node("n1", "lab"), ["n2"] = MeshAcls.Node("n2", "home") };

        var plan = MosquittoAccountPlan.Reconcile(current, nodes, Server, "server-secret", MeshAcls.Server());

        var users = plan.Users.ToDictionary(u => u.Name);
        Assert.Equal([Server, "n1"], plan.Users.Select(u => u.Name));
        Assert.Equal(serverHash, users[Server].PasswordHash); // still matches: not re-salted
        Assert.Equal(MeshAcls.Server().SubscribePatterns, users[Server].Acl.SubscribePatterns);
        Assert.Equal(MeshAcls.Server().PublishPatterns, users[Server].Acl.PublishPatterns);
        Assert.Equal("$7$101$a$kept", users["n1"].PasswordHash);
        Assert.Equal(MeshAcls.Node("n1", "lab").SubscribePatterns, users["n1"].Acl.SubscribePatterns);
        Assert.Equal(MeshAcls.Node("n1", "lab").PublishPatterns, users["n1"].Acl.PublishPatterns);
        Assert.Equal(["gone"], plan.Removed);
        Assert.Equal(["n2"], plan.NodesWithoutLogin);
    }

    [Fact]
    public void A_new_or_changed_server_password_gets_a_new_hash()
    {
        var fresh = MosquittoAccountPlan.Reconcile([], new Dictionary<string, MqttTopicAcl>(), Server, "pw1", MeshAcls.Server());
        var hash = Assert.Single(fresh.Users).PasswordHash;
        Assert.True(MosquittoPasswordHash.Verify("pw1", hash));

        var changed = MosquittoAccountPlan.Reconcile(fresh.Users, new Dictionary<string, MqttTopicAcl>(), Server, "pw2", MeshAcls.Server());
        Assert.True(MosquittoPasswordHash.Verify("pw2", Assert.Single(changed.Users).PasswordHash));
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

    [Fact]
    public async Task A_failed_reload_is_its_own_error_after_the_files_are_written()
    {
        using var dir = new TempDirectory("mosq-reload");
        File.WriteAllText(dir.Combine("pid"), "not a pid\n");
        var provisioner = new MosquittoProvisioner(new MosquittoProvisionerOptions
        {
            PasswordFilePath = dir.Combine("passwd"), AclFilePath = dir.Combine("acl"), PidFilePath = dir.Combine("pid"),
        });
        var e = await Assert.ThrowsAsync<MosquittoReloadException>(() => provisioner.SetUserAsync("n1", "secret", MeshAcls.Node("n1", "lab"), CancellationToken.None));
        Assert.Contains(dir.Combine("pid"), e.Message, StringComparison.Ordinal);
        Assert.StartsWith("n1:$7$", File.ReadAllText(dir.Combine("passwd")), StringComparison.Ordinal);
        Assert.Contains("user n1", File.ReadAllText(dir.Combine("acl")), StringComparison.Ordinal);

        File.Delete(dir.Combine("pid"));
        await Assert.ThrowsAsync<MosquittoReloadException>(() => provisioner.RemoveUserAsync("n1", CancellationToken.None));
        Assert.Equal("", File.ReadAllText(dir.Combine("passwd")));
    }

    [Fact]
    public async Task A_pid_that_is_not_mosquitto_gets_no_signal()
    {
        using var dir = new TempDirectory("mosq-stale-pid");
        // This test process: a SIGHUP would end it, so passing at all shows none was sent.
        var provisioner = new MosquittoProvisioner(new MosquittoProvisionerOptions
        {
            PasswordFilePath = dir.Combine("passwd"), AclFilePath = dir.Combine("acl"), ProcessId = Environment.ProcessId,
        });
        var e = await Assert.ThrowsAsync<MosquittoReloadException>(() => provisioner.SetUserAsync("n1", "secret", MeshAcls.Node("n1", "lab"), CancellationToken.None));
        Assert.Contains("not mosquitto", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("n1:$7$", File.ReadAllText(dir.Combine("passwd")), StringComparison.Ordinal);
    }
}
