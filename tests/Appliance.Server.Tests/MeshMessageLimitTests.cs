using System.Net.Http.Json;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// No member is sent a message it cannot take: a delta over the limit goes as a snapshot in parts that fit, a
/// snapshot that cannot fit is refused and counted; a deleted node's MQTT connection ends at once.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MeshMessageLimitTests : IDisposable
{
    private const int Members = 25;
    private readonly ServerFactory _server = new();

    private MeshPublisher Publisher => _server.Services.GetRequiredService<MeshPublisher>();

    [Fact]
    public void The_publishers_limit_is_under_the_device_clients_packet_limit()
    {
        Assert.Equal(1024 * 1024, new MqttClientOptions().MaxPacketSize);
        Assert.InRange(MeshPublisher.DefaultMaxUpdateBytes, 1024 * 1024 - 4096, (1024 * 1024) - 512);
    }

    [Fact]
    public async Task A_delta_over_the_limit_reaches_members_as_a_snapshot_in_parts_that_fit()
    {
        var (a, client) = await FollowingMemberAsync();
        var mine = MeshDelta.Apply(null, await SignedUpdates.NextAsync(client, a));

        // Every peer record carries the network's keepalive: changing it puts all 25 peers in one delta (~7 KB).
        const int limit = 3000;
        Publisher.MaxUpdateBytes = limit;
        Publisher.PeersPerSnapshotPart = 5;
        using var admin = _server.Admin();
        await Http.EnsureAsync(await admin.PatchAsJsonAsync("/api/v1/networks/wide", new UpdateNetworkRequest { Keepalive = 25 }));

        var assembler = new MeshSnapshotAssembler();
        MeshUpdate? whole = null;
        for (var i = 0; whole is null; i++)
        {
            var (part, wire) = await SignedUpdates.NextWithWireAsync(client, a);
            Assert.True(wire.Length <= limit, $"message {i} is {wire.Length} bytes");
            Assert.Equal((i, 1 + (Members / 5)), (part.Part, part.Parts));
            assembler.TryAdd(part, wire, out whole, out var malformed, out var why);
            Assert.False(malformed, why);
        }
        mine = MeshDelta.Apply(mine, whole);
        using var node = _server.As(a.Credential);
        var config = (await node.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!;
        Assert.True(MeshDelta.SameConfig(config, mine));
        Assert.All(mine.Peers, p => Assert.Equal(25, p.PersistentKeepalive));
        Assert.Equal(1, Publisher.DeltasSentAsSnapshots);
        Assert.Equal(0, Publisher.UpdatesRefused);
    }

    [Fact]
    public async Task A_snapshot_that_cannot_fit_is_refused_and_counted_not_sent()
    {
        var (a, client) = await FollowingMemberAsync();
        await SignedUpdates.NextAsync(client, a);

        // Smaller than the member's own head: nothing of the new version can go.
        Publisher.MaxUpdateBytes = 200;
        using var admin = _server.Admin();
        await Http.EnsureAsync(await admin.PatchAsJsonAsync("/api/v1/networks/wide", new UpdateNetworkRequest { Keepalive = 25 }));
        await Wait.UntilAsync(() => Publisher.UpdatesRefused == 1, "the refusal");
        Assert.False(client.Messages.TryRead(out var sent), $"sent {sent?.Payload.Length} bytes anyway");
    }

    [Fact]
    public async Task Deleting_a_node_ends_its_live_mqtt_connection_within_seconds()
    {
        var (a, client) = await FollowingMemberAsync();
        var broker = _server.Services.GetRequiredService<BrokerHost>().Broker;
        Assert.True(client.IsConnected);

        using var admin = _server.Admin();
        (await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}")).Dispose();

        await Wait.UntilAsync(() => !client.IsConnected, "the deleted node's connection to close", TimeSpan.FromSeconds(5));
        Assert.Equal(-1, broker.GetQueuedCount(a.NodeId));
        Assert.Equal(1, broker.Metrics.AdministrativeDisconnects);
        await Assert.ThrowsAnyAsync<Exception>(() => MeshFollower.ConnectAsync(_server, a));
    }

    // A network of Members nodes; the first is connected and has asked for its snapshot (not yet read).
    private async Task<(JoinResponse Node, MqttClient Client)> FollowingMemberAsync()
    {
        await _server.CreateNetworkAsync("wide", "10.40.0.0/24");
        var key = await _server.CreateKeyAsync("wide");
        var a = await _server.JoinAsync(key, "a");
        for (var i = 1; i < Members; i++)
        {
            await _server.JoinAsync(key, $"n{i}");
        }
        var client = await MeshFollower.ConnectAsync(_server, a);
        _clients.Add(client);
        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        return (a, client);
    }

    private readonly List<MqttClient> _clients = [];

    public void Dispose()
    {
        foreach (var c in _clients)
        {
            c.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _server.Dispose();
    }
}
