using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Packets;
using Appliance.Server.Domain;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The server's mesh logic talks to the broker only through <see cref="IMeshBus"/>: with a fake bus and no broker,
/// resync requests still get signed snapshots, changes get deltas, and status reports are recorded.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class MeshBusSeamTests : IDisposable
{
    private readonly FakeMeshBus _bus = new();
    private readonly ServerFactory _server;

    public MeshBusSeamTests()
    {
        _server = new ServerFactory { TestServices = s => s.AddSingleton<IMeshBus>(_bus) };
    }

    private async Task<MeshUpdate> NextUpdateAsync(JoinResponse node)
    {
        var (topic, payload, qos, retain) = await _bus.NextPublishedAsync();
        Assert.Equal((MeshTopics.Updates(node.NodeId), MqttQos.AtLeastOnce, false), (topic, qos, retain));
        Assert.True(SignedEnvelope.TryOpen(payload, Convert.FromBase64String(node.SigningKey!), out var json, out var error), error);
        return JsonSerializer.Deserialize(json, ApplianceJsonContext.Default.MeshUpdate)!;
    }

    private async Task WaitForIdleAsync()
    {
        var publisher = _server.Services.GetRequiredService<MeshPublisher>();
        await Wait.UntilAsync(() => publisher.IsIdle, "the publisher to go idle");
    }

    [Fact]
    public async Task Mesh_publishing_and_report_reading_go_through_the_bus_only()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        Assert.True(_bus.Started);
        Assert.Equal(_bus.DeviceUrl, a.MqttUrl);
        Assert.Same(_bus, _server.Services.GetRequiredService<IMeshBus>());

        // Before anyone asks, a join sends nothing (the node has no snapshot to apply a delta to).
        await WaitForIdleAsync();
        Assert.False(_bus.TryTakePublished(out var early), $"published {early.Topic} before any resync");
        Assert.Equal(1, _bus.Deliver(MeshTopics.Resync(a.NodeId), "{}"u8.ToArray()));
        var snapshot = await NextUpdateAsync(a);
        Assert.True(snapshot.IsSnapshot);

        var b = await _server.JoinAsync(key, "b");
        var delta = await NextUpdateAsync(a);
        Assert.Equal((MeshUpdate.NetworkDeltaKind, b.NodeId), (delta.Kind, Assert.Single(delta.UpsertPeers).NodeId));

        var report = new NodeReport { ListenPort = 52222, Endpoints = ["198.51.100.8:52222"], AppliedVersion = delta.ToVersion };
        Assert.Equal(1, _bus.Deliver(MeshTopics.Status(b.NodeId), JsonSerializer.SerializeToUtf8Bytes(report, ApplianceJsonContext.Default.NodeReport)));
        using var admin = _server.Admin();
        await Wait.ForAsync(() => admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{b.NodeId}"), n => n!.ListenPort == 52222, "the report to reach the store");
        // B's move reaches A as a delta.
        var moved = await NextUpdateAsync(a);
        Assert.Equal(["198.51.100.8:52222"], Assert.Single(moved.UpsertPeers).Endpoints);

        // A topic the server does not read reaches nobody.
        Assert.Equal(0, _bus.Deliver(MeshTopics.Updates(a.NodeId), "x"u8.ToArray()));
        Assert.Equal(2, _bus.HandlerCount); // resync and status
    }

    [Fact]
    public async Task A_change_set_the_view_has_is_skipped_and_one_after_a_missing_version_reads_the_network_again()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        Assert.Equal(1, _bus.Deliver(MeshTopics.Resync(a.NodeId), "{}"u8.ToArray()));
        var snapshot = await NextUpdateAsync(a);
        var publisher = _server.Services.GetRequiredService<MeshPublisher>();
        var store = _server.Store;
        var network = (await store.ReadAsync(s => s.FindNetwork("home")))!;
        var nodeB = (await store.ReadAsync(s => s.FindNode(b.NodeId)))!;
        Assert.Equal(network.Version, snapshot.ToVersion);
        NetworkChangeSet Moved(long version) => new()
        {
            Network = "home",
            Version = version,
            Settings = network with { Version = version },
            Changes = [new StoreChange(ChangeKind.Node, b.NodeId)],
            Nodes = new Dictionary<string, NodeRecord?> { [b.NodeId] = nodeB with { Endpoints = ["203.0.113.9"] } },
        };

        // A set at the view's version is in it already (the view was read after that write): nothing is sent.
        publisher.Committed([Moved(network.Version)]);
        await WaitForIdleAsync();
        Assert.False(_bus.TryTakePublished(out var sent), $"published {sent.Topic} for a set the view had");

        // A set after a version the publisher never saw is not applied by itself: the network is read again (here the
        // store is where the view is, so nothing is sent), and what follows goes out from the version the members have.
        publisher.Committed([Moved(network.Version + 2)]);
        await WaitForIdleAsync();
        Assert.Equal(1, publisher.Reloads);
        Assert.False(_bus.TryTakePublished(out sent), $"published {sent.Topic} for a set the store does not have");
        using var admin = _server.Admin();
        (await admin.PatchAsJsonAsync($"/api/v1/nodes/{b.NodeId}", new UpdateNodeRequest { ListenPort = 52000 })).Dispose();
        var delta = await NextUpdateAsync(a);
        Assert.Equal((snapshot.ToVersion, snapshot.ToVersion + 1), (delta.FromVersion, delta.ToVersion));
        // b's record as the store has it (the sets above were never applied).
        Assert.Equal("192.0.2.10:52000", Assert.Single(delta.UpsertPeers).Endpoint);
    }

    [Fact]
    public async Task Stopping_the_server_drops_its_subscriptions()
    {
        _ = _server.Services;
        // The publisher subscribes when its loop starts.
        await Wait.UntilAsync(() => _bus.HandlerCount >= 2, "2 subscriptions", detail: () => $"{_bus.HandlerCount} subscriptions");
        _server.Dispose();
        Assert.Equal(0, _bus.HandlerCount);
    }

    public void Dispose() => _server.Dispose();
}
