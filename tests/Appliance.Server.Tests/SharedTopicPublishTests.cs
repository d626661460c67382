using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// With the real embedded broker over TLS: a change every member sees alike is published once, on the network's
/// shared topic, and the broker hands it to every member that reads it; an older agent (its resync request is
/// <c>{}</c>) still gets it on its own topic; a member whose own settings changed is named in the shared message's
/// Except and gets its own delta; a node that reconnects at the current version is sent no snapshot.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class SharedTopicPublishTests : IDisposable
{
    private readonly ServerFactory _server = new();

    private MeshPublisher Publisher => _server.Services.GetRequiredService<MeshPublisher>();

    private static byte[] Request(bool networkTopic, NodeConfigDto? held = null) => JsonSerializer.SerializeToUtf8Bytes(
        new MeshResyncRequest { NetworkTopic = networkTopic, Version = held?.Version, Epoch = held?.Epoch, ServerId = held?.ServerId },
        ApplianceJsonContext.Default.MeshResyncRequest);

    // The next message on the client, checked like the agent's gate does first (signature), with its topic.
    private static async Task<(string Topic, MeshUpdate Update)> NextAsync(MqttClient client, JoinResponse node)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await client.Messages.ReadAsync(cts.Token);
        Assert.True(SignedEnvelope.TryOpen(message.Payload.Span, Convert.FromBase64String(node.SigningKey!), out var payload, out var error), error);
        return (message.Topic, JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!);
    }

    private static async Task AssertNothingMoreAsync(MqttClient client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.Messages.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task A_change_is_published_once_on_the_networks_topic_and_per_node_only_to_older_agents()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        var old = await _server.JoinAsync(key, "old");
        await using var ca = await MeshFollower.ConnectAsync(_server, a);
        await using var cb = await MeshFollower.ConnectAsync(_server, b);
        await using var co = await MeshFollower.ConnectAsync(_server, old);
        var configs = new Dictionary<string, NodeConfigDto>();
        foreach (var (client, node) in new[] { (ca, a), (cb, b) })
        {
            // The broker's ACL lets a node read its own network's shared topic.
            Assert.Equal([(byte)MqttQos.AtLeastOnce], await client.SubscribeAsync(MeshTopics.NetworkUpdates("home")));
            await client.PublishAsync(MeshTopics.Resync(node.NodeId), Request(networkTopic: true), MqttQos.AtLeastOnce);
            var (topic, snapshot) = await NextAsync(client, node);
            Assert.Equal(MeshTopics.Updates(node.NodeId), topic);
            configs[node.NodeId] = MeshDelta.Apply(null, snapshot);
        }
        // ...and no other network's.
        Assert.Equal([(byte)0x80], await ca.SubscribeAsync(MeshTopics.NetworkUpdates("work")));
        await co.PublishAsync(MeshTopics.Resync(old.NodeId), "{}", MqttQos.AtLeastOnce);
        configs[old.NodeId] = MeshDelta.Apply(null, (await NextAsync(co, old)).Update);
        await Wait.UntilAsync(() => Publisher.IsIdle, "the snapshots");
        var (published, sharedBefore) = (Publisher.UpdatesPublished, Publisher.SharedUpdatesPublished);

        // A node joins: one publish on the network's topic (a and b get the same bytes through the broker), one on
        // the older agent's own topic.
        var c = await _server.JoinAsync(key, "c");
        foreach (var (client, node) in new[] { (ca, a), (cb, b), (co, old) })
        {
            var (topic, delta) = await NextAsync(client, node);
            Assert.Equal(node == old ? MeshTopics.Updates(old.NodeId) : MeshTopics.NetworkUpdates("home"), topic);
            Assert.Equal((MeshUpdate.NetworkDeltaKind, MeshUpdate.AnyMember, "home", c.NodeId), (delta.Kind, delta.NodeId, delta.Network, Assert.Single(delta.UpsertPeers).NodeId));
            configs[node.NodeId] = MeshDelta.Apply(configs[node.NodeId], delta);
            Assert.Contains(configs[node.NodeId].Peers, p => p.NodeId == c.NodeId);
        }
        await Wait.UntilAsync(() => Publisher.IsIdle, "the join's round");
        Assert.Equal((2L, 1L), (Publisher.UpdatesPublished - published, Publisher.SharedUpdatesPublished - sharedBefore));

        // a's listen port changes (its own interface): a gets its own delta on its topic and sees the shared message
        // that names it in Except (its gate skips it); b applies the shared one.
        using var admin = _server.Admin();
        (await admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { ListenPort = 52001 })).Dispose();
        var forA = new List<(string Topic, MeshUpdate Update)> { await NextAsync(ca, a), await NextAsync(ca, a) };
        var own = Assert.Single(forA, m => m.Topic == MeshTopics.Updates(a.NodeId)).Update;
        var skipped = Assert.Single(forA, m => m.Topic == MeshTopics.NetworkUpdates("home")).Update;
        Assert.Equal((MeshUpdate.DeltaKind, 52001), (own.Kind, own.Interface!.ListenPort));
        Assert.Equal([a.NodeId], skipped.Except);
        Assert.Equal(own.ToVersion, skipped.ToVersion);
        var (bTopic, forB) = await NextAsync(cb, b);
        Assert.Equal((MeshTopics.NetworkUpdates("home"), own.ToVersion), (bTopic, forB.ToVersion));
        configs[a.NodeId] = MeshDelta.Apply(configs[a.NodeId], own);
        configs[b.NodeId] = MeshDelta.Apply(configs[b.NodeId], forB);
        foreach (var node in new[] { a, b })
        {
            using var http = _server.As(node.Credential);
            Assert.True(MeshDelta.SameConfig((await http.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!, configs[node.NodeId]));
        }

        // b reconnects holding the current version: it follows from there without a snapshot. Naming an older
        // version (or another lineage) gets one.
        await Wait.UntilAsync(() => Publisher.IsIdle, "the port change's round");
        var skippedBefore = Publisher.SnapshotsSkipped;
        await cb.PublishAsync(MeshTopics.Resync(b.NodeId), Request(networkTopic: true, configs[b.NodeId]), MqttQos.AtLeastOnce);
        await Wait.UntilAsync(() => Publisher.SnapshotsSkipped == skippedBefore + 1, "the resync at the current version");
        await AssertNothingMoreAsync(cb);
        await cb.PublishAsync(MeshTopics.Resync(b.NodeId), Request(networkTopic: true, configs[b.NodeId] with { Epoch = "another" }), MqttQos.AtLeastOnce);
        var (_, again) = await NextAsync(cb, b);
        Assert.True(again.IsSnapshot);
    }

    [Fact]
    public async Task Forced_per_node_updates_send_every_member_the_delta_on_its_own_topic()
    {
        using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Mesh:PerNodeUpdates"] = "true" });
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await server.CreateKeyAsync("home");
        var a = await server.JoinAsync(key, "a");
        await using var ca = await MeshFollower.ConnectAsync(server, a);
        await ca.SubscribeAsync(MeshTopics.NetworkUpdates("home"));
        await ca.PublishAsync(MeshTopics.Resync(a.NodeId), Request(networkTopic: true), MqttQos.AtLeastOnce);
        Assert.True((await NextAsync(ca, a)).Update.IsSnapshot);
        var c = await server.JoinAsync(key, "c");
        var (topic, delta) = await NextAsync(ca, a);
        Assert.Equal((MeshTopics.Updates(a.NodeId), c.NodeId), (topic, Assert.Single(delta.UpsertPeers).NodeId));
        Assert.Equal(0, server.Services.GetRequiredService<MeshPublisher>().SharedUpdatesPublished);
    }

    public void Dispose() => _server.Dispose();
}
