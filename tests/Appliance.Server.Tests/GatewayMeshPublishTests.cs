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

/// <summary>Gateway roles, ext clients and DNS entries reach the nodes as signed deltas that rebuild exactly what the API serves.</summary>
[Trait("Category", TestCategories.Integration)]
public sealed class GatewayMeshPublishTests
{
    private sealed class Follower(GatewayScenario s, JoinResponse node, MqttClient client)
    {
        public NodeConfigDto Config { get; private set; } = null!;
        public MqttClient Client => client;

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

        /// <summary>Applies the next delta and checks the result equals GET /api/v1/node/config.</summary>
        public async Task<MeshUpdate> NextAsync()
        {
            var update = await SignedUpdates.NextAsync(client, node);
            Assert.False(update.IsSnapshot);
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

    [Fact]
    public async Task Role_client_and_entry_changes_arrive_as_deltas()
    {
        using var s = await GatewayScenario.CreateAsync();
        var a = await s.JoinAsync("a");
        var gw = await s.JoinAsync("gw");
        var fa = await Follower.StartAsync(s, a);
        var fg = await Follower.StartAsync(s, gw);
        await using var ca = fa.Client;
        await using var cg = fg.Client;
        Assert.Null(fg.Config.Gateway);
        Assert.Equal("home", fa.Config.Dns!.Zone);

        await s.EgressAsync(gw.NodeId, "192.168.1.0/24");
        var toA = await fa.NextAsync();
        Assert.Equal(["10.10.0.2/32", "fd10::2/128", "192.168.1.0/24"], Assert.Single(toA.UpsertPeers).AllowedIps);
        Assert.Null(toA.Gateway); // a has no role
        Assert.Null(toA.Dns); // the zone did not change
        var toGw = await fg.NextAsync();
        Assert.Equal(["192.168.1.0/24"], toGw.Gateway!.Egress!.Ranges);

        await s.IngressAsync(gw.NodeId, nat: false);
        Assert.Empty((await fa.NextAsync()).UpsertPeers); // no client yet: nothing for a
        Assert.NotNull((await fg.NextAsync()).Gateway!.Ingress);

        var phone = await s.ExtClientAsync(gw.NodeId, "phone");
        toA = await fa.NextAsync();
        Assert.Contains("10.10.0.3/32", Assert.Single(toA.UpsertPeers).AllowedIps);
        Assert.Contains(new DnsRecordDto("phone", "A", "10.10.0.3"), toA.Dns!.Records);
        Assert.Equal(phone.PublicKey, Assert.Single((await fg.NextAsync()).Gateway!.Ingress!.Clients).PublicKey);

        using (var r = await s.Admin.PostAsJsonAsync("/api/v1/networks/home/dns", new CreateDnsEntryRequest { Name = "nas", Type = "A", Value = "192.168.1.2" }))
        {
            await Http.EnsureAsync(r);
        }
        toA = await fa.NextAsync();
        Assert.Empty(toA.UpsertPeers);
        Assert.Contains(new DnsRecordDto("nas", "A", "192.168.1.2"), toA.Dns!.Records);
        Assert.Null((await fg.NextAsync()).Gateway); // the gateway's roles did not change

        // The gateway reports its client's counters over MQTT, like its agent does.
        var report = new NodeReport { ListenPort = 51821, Endpoints = ["192.0.2.10"], AppliedVersion = fg.Config.Version, ExtClients = [new(phone.Id, 4096, 8192, DateTimeOffset.UtcNow)] };
        await cg.PublishAsync(MeshTopics.Status(gw.NodeId), JsonSerializer.SerializeToUtf8Bytes(report, ApplianceJsonContext.Default.NodeReport), MqttQos.AtLeastOnce);
        await Wait.ForAsync(() => s.Admin.GetFromJsonAsync<ExtClientDto>($"/api/v1/ext-clients/{phone.Id}"), c => c!.RxBytes == 4096, "the gateway's counters to be recorded");
        Assert.Equal(8192, (await s.Admin.GetFromJsonAsync<ExtClientDto>($"/api/v1/ext-clients/{phone.Id}"))!.TxBytes);

        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/ingress?force=true"))
        {
            await Http.EnsureAsync(r);
        }
        toA = await fa.NextAsync();
        Assert.DoesNotContain("10.10.0.3/32", Assert.Single(toA.UpsertPeers).AllowedIps);
        Assert.DoesNotContain(toA.Dns!.Records, r => r.Name == "phone");
        toGw = await fg.NextAsync();
        Assert.Null(toGw.Gateway!.Ingress);
        Assert.NotNull(toGw.Gateway.Egress);

        using (var r = await s.Admin.DeleteAsync($"/api/v1/nodes/{gw.NodeId}/egress"))
        {
            await Http.EnsureAsync(r);
        }
        await fa.NextAsync();
        Assert.True((await fg.NextAsync()).Gateway!.IsEmpty); // the empty role: "removed"
        Assert.Null(fg.Config.Gateway);

        // Every change above was applied to the network's view record by record, from the store's change sets: the
        // network was read whole only for the first snapshot. A settings change reaches every peer and reads it again.
        var publisher = s.Server.Services.GetRequiredService<MeshPublisher>();
        Assert.Equal(0, publisher.Reloads);
        using (var r = await s.Admin.PatchAsJsonAsync("/api/v1/networks/home", new UpdateNetworkRequest { Keepalive = 25 }))
        {
            await Http.EnsureAsync(r);
        }
        await fa.NextAsync();
        await fg.NextAsync();
        Assert.Equal(25, Assert.Single(fa.Config.Peers).PersistentKeepalive);
        Assert.Equal(1, publisher.Reloads);
    }

    [Fact]
    public async Task An_expiry_reaches_the_gateway_without_any_api_call()
    {
        using var s = await GatewayScenario.CreateAsync();
        var gw = await s.JoinAsync("gw");
        await s.IngressAsync(gw.NodeId);
        var guest = await s.ExtClientAsync(gw.NodeId, "guest", expiresAt: DateTimeOffset.UtcNow.AddSeconds(4));
        var fg = await Follower.StartAsync(s, gw);
        await using var cg = fg.Client;
        Assert.True(Assert.Single(fg.Config.Gateway!.Ingress!.Clients).Enabled);
        var update = await fg.NextAsync();
        var client = Assert.Single(update.Gateway!.Ingress!.Clients);
        Assert.Equal((guest.Id, false), (client.Id, client.Enabled));
        Assert.Equal(guest.ExpiresAt, client.ExpiresAt);
    }
}
