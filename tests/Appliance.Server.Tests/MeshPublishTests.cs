using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>Nodes connected to the embedded broker get signed, versioned deltas of their desired state.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MeshPublishTests : IDisposable
{
    private readonly ServerFactory _server = new();

    private Task<MqttClient> ConnectAsync(JoinResponse node) => MeshFollower.ConnectAsync(_server, node);

    private async Task<NodeConfigDto> HttpConfigAsync(JoinResponse node)
    {
        using var c = _server.As(node.Credential);
        return (await c.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!;
    }

    [Fact]
    public async Task Snapshot_then_deltas_track_joins_changes_and_deletes()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        await using var client = await ConnectAsync(a);

        // Ask for a snapshot the way an agent does after (re)connecting.
        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        var snapshot = await SignedUpdates.NextAsync(client, a);
        Assert.True(snapshot.IsSnapshot);
        var mine = MeshDelta.Apply(null, snapshot);
        Assert.True(MeshDelta.SameConfig(await HttpConfigAsync(a), mine));

        var b = await _server.JoinAsync(key, "b");
        var joined = await SignedUpdates.NextAsync(client, a);
        Assert.Equal((MeshUpdate.NetworkDeltaKind, "b"), (joined.Kind, Assert.Single(joined.UpsertPeers).Name));
        mine = MeshDelta.Apply(mine, joined);
        Assert.True(MeshDelta.SameConfig(await HttpConfigAsync(a), mine));

        using var admin = _server.Admin();
        (await admin.PatchAsJsonAsync($"/api/v1/nodes/{b.NodeId}", new UpdateNodeRequest { ListenPort = 52000, Endpoints = ["198.51.100.9"] })).Dispose();
        var moved = await SignedUpdates.NextAsync(client, a);
        Assert.Equal("198.51.100.9:52000", Assert.Single(moved.UpsertPeers).Endpoint);
        mine = MeshDelta.Apply(mine, moved);

        (await admin.DeleteAsync($"/api/v1/nodes/{b.NodeId}")).Dispose();
        var deleted = await SignedUpdates.NextAsync(client, a);
        Assert.Equal([b.NodeId], deleted.RemovePeers);
        mine = MeshDelta.Apply(mine, deleted);
        Assert.Empty(mine.Peers);
        Assert.True(MeshDelta.SameConfig(await HttpConfigAsync(a), mine));
    }

    [Fact]
    public async Task A_change_is_one_signed_network_delta_and_a_member_whose_own_settings_changed_gets_its_own()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        await using var ca = await ConnectAsync(a);
        await using var cb = await ConnectAsync(b);
        var configs = new Dictionary<string, NodeConfigDto>();
        foreach (var (client, node) in new[] { (ca, a), (cb, b) })
        {
            await client.PublishAsync(MeshTopics.Resync(node.NodeId), "{}", MqttQos.AtLeastOnce);
            configs[node.NodeId] = MeshDelta.Apply(null, await SignedUpdates.NextAsync(client, node));
        }

        // A new node: both members get the very same signed bytes.
        await _server.JoinAsync(key, "c");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var forA = await ca.Messages.ReadAsync(timeout.Token);
        var forB = await cb.Messages.ReadAsync(timeout.Token);
        Assert.Equal(forA.Payload.ToArray(), forB.Payload.ToArray());

        // a's listen port is part of a's own interface: a gets its own delta, b the network delta that excludes a.
        using var admin = _server.Admin();
        (await admin.PatchAsJsonAsync($"/api/v1/nodes/{a.NodeId}", new UpdateNodeRequest { ListenPort = 52001 })).Dispose();
        var own = await SignedUpdates.NextAsync(ca, a);
        var shared = await SignedUpdates.NextAsync(cb, b);
        Assert.Equal((MeshUpdate.DeltaKind, a.NodeId, 52001), (own.Kind, own.NodeId, own.Interface!.ListenPort));
        Assert.Equal((MeshUpdate.NetworkDeltaKind, "home", a.NodeId), (shared.Kind, shared.Network, Assert.Single(shared.Except)));
        Assert.Equal(a.NodeId, Assert.Single(shared.UpsertPeers).NodeId);
        Assert.Equal(own.ToVersion, shared.ToVersion);
    }

    [Fact]
    public async Task A_big_networks_snapshot_is_a_head_of_the_nodes_own_then_parts_every_member_shares()
    {
        await _server.CreateNetworkAsync("big", "10.30.0.0/22");
        var key = await _server.CreateKeyAsync("big");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        for (var i = 0; i < NetworkView.PeersPerSnapshotPart; i++)
        {
            await _server.JoinAsync(key, $"n{i}");
        }
        await using var ca = await ConnectAsync(a);
        await using var cb = await ConnectAsync(b);
        var wires = new Dictionary<string, List<byte[]>>();
        foreach (var (client, node) in new[] { (ca, a), (cb, b) })
        {
            // 302 members: each node has 301 peers, over one part's 300, so: its head, then 302 records in 2 shared parts.
            wires[node.NodeId] = await ResyncInPartsAsync(client, node, lastPartPeers: 2);
        }
        // The shared parts are the very same signed bytes for both members; the heads are each node's own.
        Assert.NotEqual(wires[a.NodeId][0], wires[b.NodeId][0]);
        Assert.Equal(wires[a.NodeId].Skip(1), wires[b.NodeId].Skip(1));

        // After a change the server seals new parts: a resync gets the new version, not the cached parts.
        await _server.JoinAsync(key, "late");
        await SignedUpdates.NextAsync(ca, a); // the network delta for the join
        var again = await ResyncInPartsAsync(ca, a, lastPartPeers: 3);
        Assert.NotEqual(wires[a.NodeId][1], again[1]);
    }

    // Asks for a snapshot and reads the 3 messages of a snapshot in parts, checking each and the whole against the
    // config the HTTP API serves; returns the signed messages.
    private async Task<List<byte[]>> ResyncInPartsAsync(MqttClient client, JoinResponse node, int lastPartPeers)
    {
        await client.PublishAsync(MeshTopics.Resync(node.NodeId), "{}", MqttQos.AtLeastOnce);
        var assembler = new MeshSnapshotAssembler();
        var received = new List<byte[]>();
        MeshUpdate? whole = null;
        for (var i = 0; i < 3; i++)
        {
            var (part, wire) = await SignedUpdates.NextWithWireAsync(client, node);
            received.Add(wire);
            Assert.Equal((i, 3), (part.Part, part.Parts));
            Assert.Equal(i == 0 ? node.NodeId : MeshUpdate.AnyMember, part.NodeId);
            Assert.Equal(i == 0 ? 0 : i == 1 ? 300 : lastPartPeers, part.UpsertPeers.Count);
            Assert.Equal(i == 2, assembler.TryAdd(part, wire, out whole, out var malformed, out var why));
            Assert.False(malformed, why);
        }
        Assert.True(MeshDelta.SameConfig(await HttpConfigAsync(node), MeshDelta.Apply(null, whole!)), node.Name);
        return received;
    }

    [Fact]
    public async Task One_join_into_a_network_of_n_costs_o_n_bytes()
    {
        await _server.CreateNetworkAsync("big", "10.20.0.0/22");
        var key = await _server.CreateKeyAsync("big");
        const int n = 60;
        for (var i = 0; i < n; i++)
        {
            await _server.JoinAsync(key, $"n{i}");
        }
        var publisher = _server.Services.GetRequiredService<MeshPublisher>();
        await WaitQuietAsync(publisher);
        Assert.Equal(0, publisher.UpdatesPublished); // nobody is following yet: registering costs no messages
        // Each node's agent asks for its snapshot when it connects; from then on it is sent deltas.
        using (var admin = _server.Admin())
        {
            foreach (var node in (await admin.GetFromJsonAsync<List<NodeDto>>("/api/v1/networks/big/nodes"))!)
            {
                publisher.ResyncRequested(node.Id);
            }
        }
        await WaitQuietAsync(publisher);
        Assert.Equal(n, publisher.SnapshotsPublished);
        var before = (publisher.BytesPublished, publisher.UpdatesPublished);
        await _server.JoinAsync(key, "newcomer");
        await WaitQuietAsync(publisher);
        var bytes = publisher.BytesPublished - before.BytesPublished;
        var updates = publisher.UpdatesPublished - before.UpdatesPublished;
        // One one-peer delta to each of the n members (the newcomer asks for its snapshot when it connects): linear in n.
        Assert.Equal(n, updates);
        Assert.True(bytes < n * 1000, $"{bytes} bytes for one join into {n} nodes");
    }

    [Fact]
    public async Task A_node_cannot_push_updates_to_another_node()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        await using var victim = await ConnectAsync(a);
        await using var attacker = await ConnectAsync(b);
        var forged = SignedEnvelope.Seal(Ed25519.GeneratePrivateKey(), "{\"kind\":\"snapshot\"}"u8);
        await attacker.PublishAsync(MeshTopics.Updates(a.NodeId), forged, MqttQos.AtMostOnce);
        // The broker refuses the publish (ACL); even if it had not, the signature would not verify.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await victim.Messages.ReadAsync(cts.Token));
        Assert.False(SignedEnvelope.TryOpen(forged, Convert.FromBase64String(a.SigningKey!), out _, out _));
    }

    private static Task WaitQuietAsync(MeshPublisher publisher) =>
        Wait.UntilAsync(() => publisher.IsIdle, "the mesh publisher to finish", TimeSpan.FromSeconds(20), poll: TimeSpan.FromMilliseconds(10));

    public void Dispose() => _server.Dispose();
}
