using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// Under an access policy each node is pushed only its allowed peers and its filter, as signed deltas (never a full
/// resend): a policy set, a tag change, a node joining and leaving, the policy removed. After each, every follower's
/// state is exactly what GET /api/v1/node/config serves it.
/// </summary>
[Trait("Category", TestCategories.Integration)]
public sealed class PolicyMeshPublishTests
{
    private sealed class Follower(GatewayScenario s, JoinResponse node, MqttClient client)
    {
        public NodeConfigDto Config { get; private set; } = null!;
        public MqttClient Client => client;
        public string[] PeerNames => [.. Config.Peers.Select(p => p.Name).Order(StringComparer.Ordinal)];

        public static async Task<Follower> StartAsync(GatewayScenario s, JoinResponse node)
        {
            var client = await MeshFollower.ConnectAsync(s.Server, node);
            await client.PublishAsync(MeshTopics.Resync(node.NodeId), "{}", MqttQos.AtLeastOnce);
            var f = new Follower(s, node, client);
            var snapshot = await SignedUpdates.NextAsync(client, node);
            Assert.True(snapshot.IsSnapshot);
            f.Config = MeshDelta.Apply(null, snapshot);
            await f.AssertMatchesApiAsync();
            return f;
        }

        public async Task<MeshUpdate> NextAsync()
        {
            var update = await SignedUpdates.NextAsync(client, node);
            Assert.False(update.IsSnapshot, "a full resend instead of a delta");
            Config = MeshDelta.Apply(Config, update);
            await AssertMatchesApiAsync();
            return update;
        }

        private async Task AssertMatchesApiAsync()
        {
            var api = await s.ConfigAsync(node);
            Assert.True(MeshDelta.SameConfig(api, Config),
                $"pushed state differs from the API's:\n{JsonSerializer.Serialize(Config, ApplianceJsonContext.Default.NodeConfigDto)}\n{JsonSerializer.Serialize(api, ApplianceJsonContext.Default.NodeConfigDto)}");
        }
    }

    private static async Task TagAsync(GatewayScenario s, JoinResponse node, string tag) =>
        await s.OkAsync<NodeDto>(await s.Admin.PatchAsJsonAsync($"/api/v1/nodes/{node.NodeId}", new UpdateNodeRequest { Tags = [tag] }));

    [Fact]
    public async Task Policy_tag_join_and_leave_changes_arrive_as_per_member_deltas()
    {
        using var s = await GatewayScenario.CreateAsync();
        var office = await s.JoinAsync("office");
        var printer = await s.JoinAsync("printer");
        var iot = await s.JoinAsync("iot");
        await TagAsync(s, office, "office");
        await TagAsync(s, printer, "printer");
        await TagAsync(s, iot, "iot");
        var fo = await Follower.StartAsync(s, office);
        var fp = await Follower.StartAsync(s, printer);
        var fi = await Follower.StartAsync(s, iot);
        await using var co = fo.Client;
        await using var cp = fp.Client;
        await using var ci = fi.Client;
        Assert.Equal(["iot", "printer"], fo.PeerNames);
        Assert.Null(fo.Config.Filter);

        // The policy: office <-> printer only. Each member is told its own share.
        using (var r = await s.Admin.PutAsync("/api/v1/networks/home/policy", new StringContent(
            """{ "rules": [ { "from": ["tag:office"], "to": ["tag:printer"], "ports": ["tcp:631", "icmp"] } ] }""")))
        {
            await Http.EnsureAsync(r);
        }
        var toOffice = await fo.NextAsync();
        Assert.Equal([iot.NodeId], toOffice.RemovePeers);
        Assert.Empty(toOffice.Filter!.Inbound);
        Assert.Equal(["printer"], fo.PeerNames);
        var toPrinter = await fp.NextAsync();
        Assert.Equal([iot.NodeId], toPrinter.RemovePeers);
        Assert.Equal(["icmp", "tcp"], toPrinter.Filter!.Inbound.Select(f => f.Protocol));
        var toIot = await fi.NextAsync();
        Assert.Equal(new[] { office.NodeId, printer.NodeId }.Order(StringComparer.Ordinal), toIot.RemovePeers.Order(StringComparer.Ordinal));
        Assert.True(toIot.Filter!.Enforced);
        Assert.Empty(fi.Config.Peers);

        // A tag change: iot becomes office. It gains the printer; the printer gains it and a new source in its filter;
        // office's view does not change (it gets a version step, nothing else).
        await TagAsync(s, iot, "office");
        Assert.Equal(["printer"], (await fi.NextAsync()).UpsertPeers.Select(p => p.Name));
        toPrinter = await fp.NextAsync();
        Assert.Equal(["iot"], toPrinter.UpsertPeers.Select(p => p.Name));
        Assert.Contains(fi.Config.Interface.Addresses[0].Split('/')[0] + "/32", toPrinter.Filter!.Inbound[0].Sources);
        var quiet = await fo.NextAsync();
        Assert.True(quiet.UpsertPeers.Count == 0 && quiet.RemovePeers.Count == 0 && quiet.Filter is null, "office was told of a change it does not see");

        // A node joins under the policy as a printer: office and iot (both office now) gain it, the printer does not.
        var key = await s.Server.CreateKeyAsync("home", tags: ["printer"]);
        var printer2 = await s.Server.JoinAsync(key, "printer2", ["192.0.2.20"]);
        Assert.Equal(["printer2"], (await fo.NextAsync()).UpsertPeers.Select(p => p.Name));
        Assert.Equal(["printer2"], (await fi.NextAsync()).UpsertPeers.Select(p => p.Name));
        toPrinter = await fp.NextAsync();
        Assert.Empty(toPrinter.UpsertPeers);
        Assert.Equal(["iot", "office"], fp.PeerNames);

        // A node leaves: only the members that saw it are told it is gone.
        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{printer2.NodeId}"))
        {
            await Http.EnsureAsync(r);
        }
        Assert.Equal([printer2.NodeId], (await fo.NextAsync()).RemovePeers);
        Assert.Equal([printer2.NodeId], (await fi.NextAsync()).RemovePeers);
        Assert.Empty((await fp.NextAsync()).RemovePeers);

        // The policy removed: everyone sees everyone again, and the filter is lifted (None).
        using (var r = await s.Admin.DeleteAsync("/api/v1/networks/home/policy"))
        {
            await Http.EnsureAsync(r);
        }
        foreach (var f in new[] { fo, fp, fi })
        {
            Assert.True((await f.NextAsync()).Filter!.IsNone);
            Assert.Null(f.Config.Filter);
            Assert.Equal(2, f.Config.Peers.Count);
        }
        // Every change above was applied record by record: the network was never read again whole.
        Assert.Equal(0, s.Server.Services.GetRequiredService<MeshPublisher>().Reloads);
    }
}
