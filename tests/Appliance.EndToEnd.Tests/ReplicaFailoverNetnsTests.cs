using System.Diagnostics;
using System.Net.Http.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Crypto;
using Appliance.TestSupport;
using Xunit.Abstractions;

namespace Appliance.EndToEnd.Tests;

/// <summary>
/// Issue #20's proof with real agents: two <c>appliance-server serve</c> processes on one PostgreSQL and a three-node
/// RabbitMQ cluster (in the test's own namespace, on the lab's bridge at <see cref="MeshLab.HostIp"/>), and two
/// <c>appliance-agent run</c> processes (each with its wireguard-go) in namespaces of their own, joined through replica
/// 1. What counts is what the agents applied: the peers their WireGuard devices hold (<c>wg show dump</c>).
/// </summary>
[Trait("Category", TestCategories.Netns)]
public sealed class ReplicaFailoverNetnsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(10);
    private static readonly string[] AgentHosts = ["a", "b"];
    // A server update's apply ("applied v15 (snapshot v15)", "applied v16 (network-delta v15→v16)"); the agent's own
    // re-applies of a version it holds ("(peer paths changed)", NAT traversal) are no update.
    private static readonly System.Text.RegularExpressions.Regex AppliedVersions = new(@"applied v(\d+) \((?:snapshot|[a-z-]*delta) v", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private MeshLab _lab = null!;
    private RabbitMqCluster? _brokers;
    private readonly List<ReplicaProcess> _replicas = [];

    public async Task InitializeAsync()
    {
        _lab = new MeshLab("feed");
        await _lab.CreateUnderlayAsync();
        await _lab.ConnectHostNamespaceAsync();
        foreach (var n in AgentHosts)
        {
            await _lab.AddHostAsync(n);
        }
        // Three nodes: RabbitMQ 3.10's MQTT plugin takes connections only while a majority of them runs.
        _brokers = await RabbitMqCluster.StartAsync(3, MeshLab.HostIp);
    }

    public async Task DisposeAsync()
    {
        // Each step runs even when one before it failed: processes first (by their own pids), then the namespaces.
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        try
        {
            if (_brokers is not null)
            {
                await _brokers.DisposeAsync();
            }
        }
        finally
        {
            await _lab.DisposeAsync();
        }
    }

    [Fact]
    public async Task Real_agents_follow_replica_2_after_a_sigkill_of_replica_1_mid_burst_and_fail_over_a_dead_broker_node()
    {
        var brokers = _brokers!;
        var env = new Dictionary<string, string>
        {
            ["APPLIANCE_STORE__KIND"] = "postgres",
            ["APPLIANCE_STORE__CONNECTIONSTRING"] = PostgresCluster.Instance.CreateDatabase(),
            ["APPLIANCE_MQTT__BROKER"] = "rabbitmq",
            ["APPLIANCE_MQTT__RABBITMQ__URLS"] = string.Join(",", brokers.Nodes.Select(n => n.MqttUrl)),
            ["APPLIANCE_MQTT__RABBITMQ__MANAGEMENTURLS"] = string.Join(",", brokers.Nodes.Select(n => n.ManagementUrl.ToString())),
            ["APPLIANCE_MQTT__RABBITMQ__ADMINUSER"] = brokers.AdminUser,
            ["APPLIANCE_MQTT__RABBITMQ__ADMINPASSWORD"] = brokers.AdminPassword,
            ["APPLIANCE_MQTT__RABBITMQ__PUBLICURLS"] = string.Join(",", brokers.Nodes.Select(n => n.MqttUrl)),
        };
        var replica1 = await StartReplicaAsync("replica1", env);
        await Wait.UntilAsync(() => replica1.Log.Contains("holds the publisher lock", StringComparison.Ordinal), "replica 1 takes the publisher lock",
            TimeSpan.FromSeconds(30), () => replica1.Log);
        // Replicas of one installation share these two files (DEPLOYMENT.md); the rest comes from the database.
        foreach (var file in new[] { "rabbitmq-server.secret", "admin.token" })
        {
            File.Copy(Path.Combine(replica1.DataDir, file), _lab.Dir.Combine("replica2-" + file));
        }
        var replica2 = await StartReplicaAsync("replica2", env);

        using (var admin = replica1.Admin())
        {
            await EnsureAsync(await admin.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = "mesh", Ipv4Cidr = "10.84.0.0/24" }));
        }
        EnrollmentKeyDto key;
        using (var admin = replica1.Admin())
        {
            var r = await admin.PostAsJsonAsync("/api/v1/enrollment-keys", new CreateEnrollmentKeyRequest { Networks = ["mesh"] });
            await EnsureAsync(r);
            key = (await r.Content.ReadFromJsonAsync<EnrollmentKeyDto>())!;
        }
        Assert.StartsWith(replica1.Url, JoinToken.Decode(key.Token!).Server, StringComparison.Ordinal);

        // Two real agents join through replica 1 (the token's URL) and run.
        foreach (var n in AgentHosts)
        {
            await _lab.JoinAsync(n, key.Token!);
            _lab.StartAgent(n);
        }
        var agents = await NodesAsync(replica1);
        foreach (var n in AgentHosts)
        {
            var other = agents[AgentHosts.Single(o => o != n)];
            await WaitPeersAsync("the agents have each other as WireGuard peers", [other.PublicKey], TimeSpan.FromSeconds(60), only: n);
        }

        // A change through replica 1 reaches both agents' WireGuard.
        var firstKey = NewKey();
        var watch = Stopwatch.StartNew();
        await replica1.JoinAsync(key, "first", firstKey);
        await WaitPeersAsync("a join through replica 1", [firstKey], TimeSpan.FromSeconds(30));
        output.WriteLine($"a join through replica 1 was in both agents' WireGuard after {watch.Elapsed.TotalSeconds:0.00} s");
        Assert.DoesNotContain("holds the publisher lock", replica2.Log, StringComparison.Ordinal);

        // A burst of joins through both replicas; SIGKILL replica 1 (the publisher) by its pid after a third of it.
        var (owed, killed) = await ReplicaProcess.JoinBurstKillingAsync(replica1, replica2, async (via, i) =>
        {
            var publicKey = NewKey();
            await via.JoinAsync(key, $"burst{i}", publicKey);
            return publicKey;
        }, TimeSpan.FromSeconds(60));
        var burstDone = killed.Elapsed;
        await WaitPeersAsync($"all {owed.Length} acknowledged joins after the SIGKILL of replica 1", owed, Converge);
        var converged = killed.Elapsed;
        output.WriteLine($"SIGKILL of replica 1 (the publisher) mid-burst: the last of {owed.Length} acknowledged joins after {burstDone.TotalSeconds:0.00} s, " +
            $"both agents' WireGuard held them all {(converged - burstDone).TotalSeconds:0.00} s later ({converged.TotalSeconds:0.00} s after the kill)");
        Assert.Contains("holds the publisher lock", replica2.Log, StringComparison.Ordinal);

        // Kill broker node 1, where both agents are (the first URL of their join): they fail over to another node and the
        // next change, through replica 2, reaches their WireGuard.
        foreach (var n in AgentHosts)
        {
            await WaitConnectedAsync(n, agents[n].Id, node => node == brokers.Nodes[0].Name, "node 1 (its join's first broker)");
            await brokers.WaitSessionMirroredAsync(agents[n].Id, brokers.Nodes[1], TimeSpan.FromSeconds(20));
        }
        var brokerDown = Stopwatch.StartNew();
        brokers.Nodes[0].Kill();
        var afterKey = NewKey();
        await replica2.JoinAsync(key, "after-broker", afterKey);
        await WaitPeersAsync("a join after broker node 1 died", [afterKey], Converge);
        var afterBroker = brokerDown.Elapsed;
        foreach (var n in AgentHosts)
        {
            // The management API lists connections from statistics it gathers every few seconds: waited for, not read once.
            await WaitConnectedAsync(n, agents[n].Id, node => node != brokers.Nodes[0].Name, "another node than the dead one");
            Assert.Contains("lost the broker", _lab.Agents[n].Log, StringComparison.Ordinal);
        }
        output.WriteLine($"broker node 1 killed: both agents reconnected to another node and had the next join in WireGuard after {afterBroker.TotalSeconds:0.00} s");

        // Through both failovers each agent applied each server update once, in version order (a line per apply in its log;
        // a version may be skipped: the new publisher sends a snapshot of the current version where the dead one left
        // changes unpublished).
        foreach (var n in AgentHosts)
        {
            var versions = AppliedVersions.Matches(_lab.Agents[n].Log).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            output.WriteLine($"agent {n} applied: v{string.Join(", v", versions)}");
            Assert.True(versions.Count > 0 && versions.Zip(versions.Skip(1)).All(p => p.First < p.Second), $"agent {n} applied v{string.Join(", v", versions)}");
        }
    }

    private async Task<ReplicaProcess> StartReplicaAsync(string name, Dictionary<string, string> env)
    {
        var dataDir = _lab.Dir.Combine(name);
        Directory.CreateDirectory(dataDir);
        foreach (var file in new[] { "rabbitmq-server.secret", "admin.token" })
        {
            var shared = _lab.Dir.Combine(name + "-" + file);
            if (File.Exists(shared))
            {
                File.Move(shared, Path.Combine(dataDir, file));
            }
        }
        var replica = await ReplicaProcess.StartAsync(dataDir, env, MeshLab.HostIp);
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>Waits until the broker cluster lists exactly one MQTT connection of node <paramref name="user"/>, on a node that fits.</summary>
    private async Task WaitConnectedAsync(string agent, string user, Func<string, bool> fits, string what)
    {
        var brokers = _brokers!;
        IReadOnlyList<string> on = [];
        await Wait.UntilAsync(async () =>
        {
            on = await brokers.ConnectionNodesAsync(user, brokers.Nodes[1]);
            return on.Count == 1 && fits(on[0]);
        }, $"agent {agent} connected to {what}", TimeSpan.FromSeconds(30), () => $"listed on: {string.Join(", ", on)}\n{_lab.Agents[agent].Log}", TimeSpan.FromMilliseconds(500));
    }

    private static string NewKey() => X25519.GenerateKeyPair().PublicKey.ToString();

    /// <summary>The agents' nodes as the server lists them, by host name.</summary>
    private static async Task<Dictionary<string, NodeDto>> NodesAsync(ReplicaProcess replica)
    {
        using var admin = replica.Admin();
        var nodes = (await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes"))!;
        return AgentHosts.ToDictionary(n => n, n => nodes.Single(x => x.Hostname == n));
    }

    /// <summary>Waits until every agent's (or only <paramref name="only"/>'s) WireGuard device has every key as a peer.</summary>
    private async Task WaitPeersAsync(string what, IReadOnlyCollection<string> keys, TimeSpan within, string? only = null)
    {
        var pending = new HashSet<string>(only is null ? AgentHosts : [only]);
        var missing = new Dictionary<string, int>();
        await Wait.UntilAsync(async () =>
        {
            foreach (var n in pending.ToList())
            {
                var peers = await PeerKeysAsync(n);
                missing[n] = keys.Count(k => !peers.Contains(k));
                if (missing[n] == 0)
                {
                    pending.Remove(n);
                }
            }
            return pending.Count == 0;
        }, what, within,
            () => string.Join("; ", missing.Select(m => $"agent {m.Key} lacks {m.Value} of {keys.Count}")) + "\n" +
                string.Join("\n", _lab.Agents.Select(a => $"--- agent {a.Key}:\n{a.Value.Log}")) + "\n" +
                string.Join("\n", _replicas.Select(r => $"--- replica {r.DataDir}:\n{Tail(r.Log)}")),
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>The public keys of the peers the agent's WireGuard device has (<c>wg show IFACE dump</c>, after the interface line).</summary>
    private async Task<HashSet<string>> PeerKeysAsync(string n)
    {
        var r = await _lab.In(n, "wg", "show", _lab.Iface(n), "dump");
        // Before the agent made its device there is none: no peers yet.
        return r.ExitCode != 0 ? [] : [.. r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split('\t')[0])];
    }

    private static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;

    private static async Task EnsureAsync(HttpResponseMessage r)
    {
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)r.StatusCode} {r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}: {await r.Content.ReadAsStringAsync()}");
        }
    }
}
