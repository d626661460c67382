using System.Diagnostics;
using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

// The proof, end to end: two appliance-server processes on one PostgreSQL and the RabbitMQ cluster, two
// agents' MQTT sessions (persistent, failing over across the join's broker list, asking for a resync on every connect,
// applying updates by the agent's rules). SIGKILL the replica holding the publisher lock in the middle of a burst of
// changes: every acknowledged change reaches both agents, through the other replica, within 10 s; then kill broker
// node 1 (the agents' and the servers' first): they reconnect to another node and the next change arrives.
public sealed partial class ChangeFeedReplicaTests
{
    [Fact]
    public async Task Two_server_processes_survive_a_sigkill_of_the_publisher_mid_burst_and_a_dead_broker_node()
    {
        var cluster = fixture.Cluster;
        var env = new Dictionary<string, string>
        {
            ["APPLIANCE_STORE__KIND"] = "postgres",
            ["APPLIANCE_STORE__CONNECTIONSTRING"] = _database,
            ["APPLIANCE_MQTT__BROKER"] = "rabbitmq",
            ["APPLIANCE_MQTT__RABBITMQ__URLS"] = string.Join(",", cluster.Nodes.Select(n => n.MqttUrl)),
            ["APPLIANCE_MQTT__RABBITMQ__MANAGEMENTURLS"] = string.Join(",", cluster.Nodes.Select(n => n.ManagementUrl.ToString())),
            ["APPLIANCE_MQTT__RABBITMQ__ADMINUSER"] = cluster.AdminUser,
            ["APPLIANCE_MQTT__RABBITMQ__ADMINPASSWORD"] = cluster.AdminPassword,
            ["APPLIANCE_MQTT__RABBITMQ__PUBLICURLS"] = string.Join(",", cluster.Nodes.Select(n => n.MqttUrl)),
        };
        var dir1 = _dir.Combine("p1");
        var dir2 = _dir.Combine("p2");
        Directory.CreateDirectory(dir1);
        Directory.CreateDirectory(dir2);
        await using var replica1 = await ReplicaProcess.StartAsync(dir1, env);
        await Wait.UntilAsync(() => replica1.Log.Contains("holds the publisher lock", StringComparison.Ordinal), "replica 1 takes the publisher lock",
            TimeSpan.FromSeconds(30), () => replica1.Log);
        foreach (var file in new[] { Mqtt.RabbitMqBrokerAccounts.SecretFileName, "admin.token" })
        {
            File.Copy(Path.Combine(dir1, file), Path.Combine(dir2, file));
        }
        await using var replica2 = await ReplicaProcess.StartAsync(dir2, env);

        using (var admin = replica1.Admin())
        {
            await Http.EnsureAsync(await admin.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = "mesh", Ipv4Cidr = "10.83.0.0/24" }));
        }
        EnrollmentKeyDto key;
        using (var admin = replica2.Admin())
        {
            var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["mesh"] });
            await Http.EnsureAsync(r);
            key = (await r.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!;
        }
        var a = await replica1.JoinAsync(key, "agent-a");
        var b = await replica2.JoinAsync(key, "agent-b");
        await using var agentA = await AgentAsync(a);
        await using var agentB = await AgentAsync(b);

        // A change through replica 1 reaches both agents.
        var first = await replica1.JoinAsync(key, "first");
        foreach (var agent in new[] { agentA, agentB })
        {
            await agent.UntilAsync(s => s.Peers.Any(p => p.NodeId == first.NodeId), "a change through replica 1");
        }
        Assert.DoesNotContain("holds the publisher lock", replica2.Log, StringComparison.Ordinal);

        // A burst through both replicas; SIGKILL replica 1 (the publisher) after a third of it.
        var (owed, killed) = await ReplicaProcess.JoinBurstKillingAsync(replica1, replica2, async (via, i) => (await via.JoinAsync(key, $"burst{i}")).NodeId);
        var burstDone = killed.Elapsed;
        foreach (var agent in new[] { agentA, agentB })
        {
            // Waited for with the helper's own bound; the 10 s goal is asserted below on the time it took.
            await agent.UntilAsync(s => owed.All(id => s.Peers.Any(p => p.NodeId == id)), "every acknowledged change after the SIGKILL");
            agent.AssertChained();
        }
        var converged = killed.Elapsed;
        output.WriteLine($"SIGKILL of the publisher: the burst's last acknowledgement after {burstDone.TotalSeconds:0.0} s, both agents held all {owed.Length} acknowledged changes after {converged.TotalSeconds:0.0} s");
        output.WriteLine("agent A: " + agentA.Describe());
        output.WriteLine("agent B: " + agentB.Describe());
        Assert.Contains("holds the publisher lock", replica2.Log, StringComparison.Ordinal);
        Assert.True(converged - burstDone < TimeSpan.FromSeconds(10), $"converged {(converged - burstDone).TotalSeconds:0.0} s after the burst");

        // Kill broker node 1, where both agents and replica 2's client are: they fail over and the next change arrives.
        await cluster.WaitSessionMirroredAsync(a.NodeId, cluster.Nodes[1], TimeSpan.FromSeconds(20));
        await cluster.WaitSessionMirroredAsync(b.NodeId, cluster.Nodes[1], TimeSpan.FromSeconds(20));
        var brokerDown = Stopwatch.StartNew();
        cluster.Nodes[0].Kill();
        await Wait.UntilAsync(() => !agentA.IsConnected || agentA.Reconnects > 0, "agent A notices its broker is gone", TimeSpan.FromSeconds(10));
        var after = await replica2.JoinAsync(key, "after-broker");
        foreach (var agent in new[] { agentA, agentB })
        {
            await agent.UntilAsync(s => s.Peers.Any(p => p.NodeId == after.NodeId), "a change after broker node 1 died");
            Assert.True(agent.Reconnects >= 1);
        }
        var failedOver = brokerDown.Elapsed;
        output.WriteLine($"broker node 1 killed: both agents had the next change after {failedOver.TotalSeconds:0.0} s");
        Assert.True(failedOver < TimeSpan.FromSeconds(10), $"the next change reached both agents {failedOver.TotalSeconds:0.0} s after broker node 1 died (goal: 10 s)");
    }
}
