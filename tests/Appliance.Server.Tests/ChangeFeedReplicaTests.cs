using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Appliance.Server.Tests;

/// <summary>
/// Two server replicas (in-process hosts, each with its own data dir) on one real PostgreSQL database and one real
/// RabbitMQ cluster: every change, through either replica, is published by the one holding the publisher lock, and
/// reaches an agent's MQTT session once per version, in version order; when the holder goes away in the middle of a
/// burst of changes the other takes over and no acknowledged change is lost. These use broker nodes 2 and 3 only: the
/// end-to-end test (<c>ChangeFeedReplicaTests.EndToEnd.cs</c>) kills node 1, and the cluster is shared.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed partial class ChangeFeedReplicaTests(RabbitMqClusterFixture fixture, ITestOutputHelper output) : IClassFixture<RabbitMqClusterFixture>, IAsyncLifetime
{
    private readonly TempDirectory _dir = new("feed-replicas");
    private readonly string _database = PostgresCluster.Instance.CreateDatabase();
    private readonly List<ServerFactory> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }
        _dir.Dispose();
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_change_through_the_replica_without_the_lock_is_published_once_and_in_order_by_the_holder()
    {
        // B starts first and takes the publisher lock; A only takes API calls.
        var b = await StartReplicaAsync("b");
        await Wait.UntilAsync(() => PublisherOf(b).Publishing, "the first replica takes the publisher lock");
        var a = await StartReplicaAsync("a");
        await a.CreateNetworkAsync("home", "10.80.0.0/24");
        var key = await a.CreateKeyAsync("home");
        var first = await a.JoinAsync(key, "first");
        await using var agent = await AgentAsync(first);
        Assert.False(PublisherOf(a).Publishing);

        var joined = new List<JoinResponse>();
        for (var i = 0; i < 8; i++)
        {
            joined.Add(await a.JoinAsync(key, $"n{i}"));
        }
        var state = await agent.UntilAsync(s => joined.All(j => s.Peers.Any(p => p.NodeId == j.NodeId)), "every node joined through A");

        output.WriteLine(agent.Describe());
        Assert.Equal(0, agent.Duplicates);
        agent.AssertChained();
        Assert.Equal(await VersionAsync(a, "home"), state.Version);
        // The replica without the lock sent nothing at all.
        Assert.Equal(0, PublisherOf(a).UpdatesPublished);
        Assert.True(PublisherOf(b).UpdatesPublished > 0);
    }

    [Fact]
    public async Task When_the_holder_goes_away_mid_burst_the_other_replica_takes_over_and_no_acknowledged_change_is_lost()
    {
        var b = await StartReplicaAsync("b");
        await Wait.UntilAsync(() => PublisherOf(b).Publishing, "the first replica takes the publisher lock");
        var a = await StartReplicaAsync("a");
        await a.CreateNetworkAsync("office", "10.81.0.0/24");
        var key = await a.CreateKeyAsync("office");
        var first = await a.JoinAsync(key, "first");
        await using var agent = await AgentAsync(first);
        await Wait.UntilAsync(() => FollowersKnown(a), "the standing-by replica noted the agent as a follower");

        // A burst through A (the API answers only after the commit: each is acknowledged); B goes away in its middle.
        var acknowledged = new List<JoinResponse>();
        var burst = Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                var node = await a.JoinAsync(key, $"burst{i}");
                lock (acknowledged)
                {
                    acknowledged.Add(node);
                }
            }
        });
        await Wait.UntilAsync(() => { lock (acknowledged) { return acknowledged.Count >= 10; } }, "a third of the burst is acknowledged");
        b.Dispose();
        _servers.Remove(b);
        await burst;

        var state = await agent.UntilAsync(s => acknowledged.All(j => s.Peers.Any(p => p.NodeId == j.NodeId)), "every acknowledged join reaches the agent");
        output.WriteLine(agent.Describe());
        Assert.True(PublisherOf(a).Publishing);
        agent.AssertChained();
        Assert.Equal(await VersionAsync(a, "office"), state.Version);
    }

    [Fact]
    public async Task A_signing_key_rotated_through_the_replica_without_the_lock_is_announced_by_the_holder_and_used_by_both()
    {
        var b = await StartReplicaAsync("b");
        await Wait.UntilAsync(() => PublisherOf(b).Publishing, "the first replica takes the publisher lock");
        var a = await StartReplicaAsync("a");
        await a.CreateNetworkAsync("lab", "10.82.0.0/24");
        var key = await a.CreateKeyAsync("lab");
        var first = await a.JoinAsync(key, "first");
        await using var agent = await AgentAsync(first);
        var before = b.SigningPublicKey;

        using (var admin = a.Admin())
        {
            await Http.EnsureAsync(await admin.PostAsync("/api/v1/signing-key/rotate", null));
        }
        var rotated = a.SigningPublicKey;
        Assert.NotEqual(before, rotated);
        // B (the holder) took the new key without a restart, and the agent hears of it from B: the announcement,
        // signed by the old key, then the next change signed by the new one.
        await Wait.UntilAsync(() => b.SigningPublicKey == rotated, "the holder takes the key rotated through the other replica");
        await agent.UntilAnnouncementAsync(rotated);
        var next = await a.JoinAsync(key, "after-rotation");
        await agent.UntilAsync(s => s.Peers.Any(p => p.NodeId == next.NodeId), "a change after the rotation, signed by the new key");
        Assert.Equal(0, PublisherOf(a).UpdatesPublished);
    }

    private async Task<ServerFactory> StartReplicaAsync(string name)
    {
        var cluster = fixture.Cluster;
        var dataDir = _dir.Combine(name);
        Directory.CreateDirectory(dataDir);
        if (_servers.Count > 0)
        {
            // Replicas of one installation share the data dir's secrets (DEPLOYMENT.md): the broker login and the
            // admin token (the rest is in the database).
            foreach (var file in new[] { RabbitMqBrokerAccounts.SecretFileName, "admin.token" })
            {
                File.Copy(Path.Combine(_servers[0].DataDir, file), Path.Combine(dataDir, file), overwrite: true);
            }
        }
        var nodes = cluster.Nodes.Skip(1).ToList();
        var server = new ServerFactory(dataDir, settings: new Dictionary<string, string?>
        {
            ["Store:Kind"] = "postgres",
            ["Store:ConnectionString"] = _database,
            ["Mqtt:Broker"] = "rabbitmq",
            ["Mqtt:RabbitMq:Urls"] = string.Join(",", nodes.Select(n => n.MqttUrl)),
            ["Mqtt:RabbitMq:ManagementUrls"] = string.Join(",", nodes.Select(n => n.ManagementUrl.ToString())),
            ["Mqtt:RabbitMq:AdminUser"] = cluster.AdminUser,
            ["Mqtt:RabbitMq:AdminPassword"] = cluster.AdminPassword,
            ["Mqtt:RabbitMq:PublicUrls"] = string.Join(",", nodes.Select(n => n.MqttUrl)),
        });
        _servers.Add(server);
        var bus = Assert.IsType<ExternalMeshBus>(server.Services.GetRequiredService<IMeshBus>());
        await Wait.UntilAsync(() => bus.IsConnected, $"replica {name} connects to the cluster", TimeSpan.FromSeconds(30), () => cluster.Logs);
        return server;
    }

    private static MeshPublisher PublisherOf(ServerFactory server) => server.Services.GetRequiredService<MeshPublisher>();

    // The standing-by replica has heard the agent's resync request (it reads its requests too).
    private static bool FollowersKnown(ServerFactory server) => PublisherOf(server).FollowersKnown > 0;

    private static Task<long> VersionAsync(ServerFactory server, string network) =>
        server.Store.ReadAsync(s => s.FindNetwork(network)!.Version);

    private async Task<AgentSession> AgentAsync(JoinResponse node)
    {
        var brokers = node.MqttUrls!.Select(u => new Uri(u)).ToList();
        var client = new MqttClient(new MqttClientOptions
        {
            Host = brokers[0].Host,
            Port = brokers[0].Port,
            FailoverBrokers = [.. brokers.Skip(1).Select(u => new MqttBrokerAddress(u.Host, u.Port))],
            ClientId = node.NodeId,
            UserName = node.NodeId,
            Password = node.Credential,
            CleanSession = false,
            AutoReconnect = true,
        });
        // As MeshDaemon does: a resync request on every connect (after a broker node died, say).
        var subscribed = false;
        client.ConnectionChanged += up =>
        {
            if (up && Volatile.Read(ref subscribed))
            {
                _ = client.PublishAsync(MeshTopics.Resync(node.NodeId), "{}"u8.ToArray(), MqttQos.AtLeastOnce).AsTask();
            }
        };
        await client.ConnectAsync();
        await client.SubscribeAsync(MeshTopics.Updates(node.NodeId), MqttQos.AtLeastOnce);
        Volatile.Write(ref subscribed, true);
        var session = new AgentSession(client, node, fixture.Cluster);
        // "{}": a snapshot on its own topic, then every update there (the shared topic is not read).
        await client.PublishAsync(MeshTopics.Resync(node.NodeId), "{}"u8.ToArray(), MqttQos.AtLeastOnce);
        await session.UntilAsync(_ => true, "the first snapshot");
        return session;
    }

    /// <summary>
    /// An agent's view of its updates: checks each signature (following announced keys), applies each update with the
    /// agent's rules (a version it holds is dropped; a delta must start at the version it holds) and records what it applied.
    /// </summary>
    private sealed class AgentSession(MqttClient client, JoinResponse node, RabbitMqCluster cluster) : IAsyncDisposable
    {
        private byte[] _key = Convert.FromBase64String(node.SigningKey!);
        private readonly List<string> _applied = [];
        private readonly HashSet<string> _announced = new(StringComparer.Ordinal);

        public NodeConfigDto? State { get; private set; }

        /// <summary>Updates for a version the agent already held (dropped, as MeshUpdateGate does).</summary>
        public int Duplicates { get; private set; }

        /// <summary>Deltas that did not start at the version held (an agent would ask for a snapshot).</summary>
        public List<string> Unchained { get; } = [];

        public string Describe() => $"applied: {string.Join(", ", _applied)}; duplicates {Duplicates}; unchained: {string.Join(", ", Unchained)}";

        public void AssertChained() => Assert.True(Unchained.Count == 0, "deltas that did not start at the version held: " + Describe());

        public bool IsConnected => client.IsConnected;

        public long Reconnects => client.ReconnectCount;

        public async Task<NodeConfigDto> UntilAsync(Func<NodeConfigDto, bool> condition, string what, TimeSpan? within = null)
        {
            var limit = within ?? TimeSpan.FromSeconds(30);
            using var deadline = new CancellationTokenSource(limit);
            while (State is null || !condition(State))
            {
                MqttReceivedMessage message;
                try
                {
                    message = await client.Messages.ReadAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"{what}: not within {limit.TotalSeconds:0} s; {Describe()}\n{cluster.Logs}");
                }
                Handle(message);
            }
            return State;
        }

        public async Task UntilAnnouncementAsync(string publicKey)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!_announced.Contains(publicKey))
            {
                Handle(await client.Messages.ReadAsync(deadline.Token));
            }
        }

        private void Handle(MqttReceivedMessage message)
        {
            Assert.Equal(MeshTopics.Updates(node.NodeId), message.Topic);
            Assert.True(SignedEnvelope.TryOpen(message.Payload.Span, _key, out var payload, out var error), error + "; " + Describe());
            var update = JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!;
            if (update.Kind == MeshUpdate.SigningKeyKind)
            {
                _announced.Add(update.NextSigningKey!);
                _key = Convert.FromBase64String(update.NextSigningKey!);
                return;
            }
            if (State is not null && update.ToVersion <= State.Version)
            {
                Duplicates++;
                return;
            }
            if (!update.IsSnapshot && State is not null && update.FromVersion != State.Version)
            {
                Unchained.Add($"{update.FromVersion}->{update.ToVersion} at {State.Version}");
                return;
            }
            State = MeshDelta.Apply(State, update);
            _applied.Add(update.IsSnapshot ? $"snapshot {update.ToVersion}" : $"{update.FromVersion}->{update.ToVersion}");
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
