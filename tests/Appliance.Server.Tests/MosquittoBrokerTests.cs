using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Broker.Mosquitto;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Hosting;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Server.Tests;

/// <summary>
/// The real server with <c>Mqtt:Broker=mosquitto</c> against a real Mosquitto whose dynamic-security plugin the server
/// provisions: nodes log in with their join credential, get signed updates, report back, stay on their own topics, and
/// lose their login (and their open connection) when deleted.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class MosquittoBrokerTests : IAsyncLifetime
{
    private MosquittoLab? _lab;

    private MosquittoLab Lab => _lab!;

    private ServerFactory Server => Lab.Server!;

    public async Task InitializeAsync()
    {
        _lab = await MosquittoLab.StartAsync();
        await Lab.StartServerAsync();
    }

    [Fact]
    public async Task A_node_gets_signed_updates_through_mosquitto_and_its_reports_reach_the_server()
    {
        // This server runs on a fake clock, so last-seen moves when the test says, not after a wait for clock resolution.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Server.Dispose();
        await Lab.StartServerAsync(clock: clock);
        await Server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await Server.CreateKeyAsync("home");
        var a = await Server.JoinAsync(key, "a");
        Assert.Equal($"mqtt://appliance.test:{Lab.Port}", a.MqttUrl);
        await using var client = await Lab.ConnectAsync(a);

        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        var snapshot = await SignedUpdates.NextAsync(client, a);
        Assert.True(snapshot.IsSnapshot);
        var mine = MeshDelta.Apply(null, snapshot);
        using (var self = Server.As(a.Credential))
        {
            Assert.True(MeshDelta.SameConfig((await self.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!, mine));
        }

        var b = await Server.JoinAsync(key, "b");
        var joined = await SignedUpdates.NextAsync(client, a);
        Assert.Equal((MeshUpdate.NetworkDeltaKind, "b"), (joined.Kind, Assert.Single(joined.UpsertPeers).Name));
        Assert.Equal(b.NodeId, joined.UpsertPeers[0].NodeId);

        var before = await Lab.NodeAsync(a.NodeId);
        clock.Advance(TimeSpan.FromSeconds(1));
        var report = new NodeReport { ListenPort = 52111, Endpoints = ["198.51.100.7:52111"], AppliedVersion = joined.ToVersion, AgentVersion = "test" };
        await client.PublishAsync(MeshTopics.Status(a.NodeId), JsonSerializer.SerializeToUtf8Bytes(report, ApplianceJsonContext.Default.NodeReport), MqttQos.AtLeastOnce);
        var after = await Wait.ForAsync(() => Lab.NodeAsync(a.NodeId), n => n.ListenPort == 52111, "the status report to reach the server");
        Assert.True(after.Online);
        Assert.True(after.LastSeen > before.LastSeen, $"last seen {after.LastSeen:O} did not move past {before.LastSeen:O}");
        Assert.Equal(["198.51.100.7:52111"], after.Endpoints);
    }

    [Fact]
    public async Task Nodes_stay_on_their_own_topics_and_lose_their_login_when_deleted_or_leaving()
    {
        var (a, b) = await Lab.TwoNodesAsync();
        await using var ca = await Lab.ConnectAsync(a);
        await using var cb = await Lab.ConnectAsync(b);
        // A asks for B's topic and for everything: its role allows neither (SUBACK 0x87 under MQTT 5.0).
        Assert.True((await ca.SubscribeAsync(MeshTopics.Updates(b.NodeId)))[0] >= 0x80, "A may not subscribe to B's downlink");
        Assert.True((await ca.SubscribeAsync("#"))[0] >= 0x80, "A may not subscribe to everything");
        Assert.True((await ca.SubscribeAsync(MeshTopics.Status(b.NodeId)))[0] >= 0x80, "A may not read B's reports");

        await cb.PublishAsync(MeshTopics.Resync(b.NodeId), "{}", MqttQos.AtLeastOnce);
        Assert.True((await SignedUpdates.NextAsync(cb, b)).IsSnapshot);
        // Absence proved by order, not by waiting: the server publishes A's snapshot after B's, so a copy of B's
        // that Mosquitto let through would reach A first (SignedUpdates checks the topic).
        await ca.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        Assert.True((await SignedUpdates.NextAsync(ca, a)).IsSnapshot);

        // A writing B's report or downlink topics is refused (5.0 PUBACK 0x87) and changes nothing.
        var bBefore = await Lab.NodeAsync(b.NodeId);
        var forged = JsonSerializer.SerializeToUtf8Bytes(new NodeReport { ListenPort = 40000, Endpoints = ["203.0.113.66:40000"] }, ApplianceJsonContext.Default.NodeReport);
        var refused = await Assert.ThrowsAsync<MqttPublishRefusedException>(async () => await ca.PublishAsync(MeshTopics.Status(b.NodeId), forged, MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        await Assert.ThrowsAsync<MqttPublishRefusedException>(async () => await ca.PublishAsync(MeshTopics.Updates(b.NodeId), "forged"u8.ToArray(), MqttQos.AtLeastOnce));
        // A's own report after the forgeries is the marker: the server reads reports in order, so once A's is
        // recorded a forged one that got through would have been recorded too.
        var marker = JsonSerializer.SerializeToUtf8Bytes(new NodeReport { ListenPort = 40001, Endpoints = ["203.0.113.67:40001"] }, ApplianceJsonContext.Default.NodeReport);
        await ca.PublishAsync(MeshTopics.Status(a.NodeId), marker, MqttQos.AtLeastOnce);
        await Wait.ForAsync(() => Lab.NodeAsync(a.NodeId), n => n.Endpoints.Contains("203.0.113.67:40001"), "A's own report to be recorded");
        var bAfter = await Lab.NodeAsync(b.NodeId);
        Assert.Equal(bBefore.ListenPort, bAfter.ListenPort);
        Assert.Equal(bBefore.Endpoints, bAfter.Endpoints);
        Assert.Contains($"Denied PUBLISH from {a.NodeId}", Lab.Broker.Log, StringComparison.Ordinal);

        // A wrong password for a real node is refused as well.
        await Assert.ThrowsAsync<MqttConnectException>(() => Lab.ConnectAsync(a with { Credential = b.Credential }, subscribe: false));

        // Admin delete: A's login and role are gone from the plugin and refused; B still logs in.
        using (var admin = Server.Admin())
        {
            await Http.EnsureAsync(await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}"));
        }
        await Lab.RefusedAsync(a);
        // deleteClient disconnects the client: A's open connection is closed too.
        await Lab.WaitUntilAsync(() => !ca.IsConnected, "A's open connection is closed", 10);
        Assert.DoesNotContain(a.NodeId, Lab.Logins());
        Assert.Null(Lab.RoleAcls(a.NodeId));
        Assert.Contains(b.NodeId, Lab.Logins());
        await using (await Lab.ConnectAsync(b, subscribe: false))
        {
        }

        // Leave (the node deletes itself with its credential): the same.
        using (var self = Server.As(b.Credential))
        {
            await Http.EnsureAsync(await self.DeleteAsync("/api/v1/node"));
        }
        await Lab.RefusedAsync(b);
    }

    [Fact]
    public async Task The_server_resubscribes_after_mosquitto_restarts()
    {
        var (a, _) = await Lab.TwoNodesAsync();
        var bus = Lab.Bus;
        // persistence false: the restarted broker has no session for the server, so only a resubscribe brings reports back.
        var connects = bus.Connects;
        await Lab.Broker.RestartAsync();
        // Counted, not watched: the server can be down and back between two polls (seen in CI: both within 1 s).
        await Lab.WaitUntilAsync(() => bus.Connects > connects && bus.IsConnected, "the server reconnects after the restart", 60);
        await using var client = await Lab.ConnectAsync(a);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        MeshUpdate? snapshot = null;
        while (snapshot is null)
        {
            // The SUBSCRIBE goes out right after the CONNACK; ask again until the server hears it.
            await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
            try
            {
                snapshot = await SignedUpdates.NextAsync(client, a);
            }
            catch (OperationCanceledException) when (DateTime.UtcNow < deadline)
            {
            }
        }
        Assert.True(snapshot.IsSnapshot);
    }

    [Fact]
    public async Task A_restart_keeps_existing_logins_and_drops_nodes_deleted_while_down()
    {
        var (a, b) = await Lab.TwoNodesAsync();
        var dataDir = Server.DataDir;
        var secretFile = Path.Combine(dataDir, MosquittoBrokerAccounts.SecretFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        var secret = File.ReadAllText(secretFile);
        Assert.Contains(a.NodeId, Lab.Logins());

        // Stop the server and delete B behind its back.
        Server.Dispose();
        Lab.Server = null;
        SqliteStore.ReleasePool(Path.Combine(dataDir, "appliance.db"));
        using (var store = new SqliteStore(Path.Combine(dataDir, "appliance.db")))
        {
            await store.WriteAsync(s => { s.DeleteNode(b.NodeId); return 0; });
        }
        SqliteStore.ReleasePool(Path.Combine(dataDir, "appliance.db"));

        await Lab.StartServerAsync();
        var logins = Lab.Logins();
        Assert.Contains(a.NodeId, logins);
        Assert.DoesNotContain(b.NodeId, logins);
        Assert.Null(Lab.RoleAcls(b.NodeId));
        Assert.Contains(MosquittoSettings.DefaultUser, logins);
        Assert.Contains(MosquittoLab.AdminUser, logins);
        Assert.Equal(secret, File.ReadAllText(secretFile));
        await using (await Lab.ConnectAsync(a, subscribe: false))
        {
        }
        await Lab.RefusedAsync(b);
    }

    [Fact]
    public async Task A_nodes_role_holds_the_servers_acl_and_a_restart_repairs_tampered_roles()
    {
        var (a, _) = await Lab.TwoNodesAsync();
        var expected = MosquittoDynSecAcl.ForRole(MeshBrokerAcl.ForNode(a.NodeId, ["home"])).Select(e => (e.Type, e.Topic, e.Allow)).ToHashSet();
        Assert.True(expected.SetEquals(Lab.RoleAcls(a.NodeId)!), "A's role is the server's ACL for A");

        // Someone widens A's role and leaves a stray role behind; the next start puts A's back and drops the stray one.
        await using (var admin = new MosquittoDynSecClient(new MqttClientOptions
        {
            Port = Lab.Port, ClientId = "tamper", UserName = MosquittoLab.AdminUser, Password = Lab.AdminPassword, AutoReconnect = false,
        }))
        {
            await admin.ExecuteAsync(
                [
                    MosquittoDynSecCommands.ModifyRole(a.NodeId, [new MosquittoAclEntry("subscribePattern", "#", true, 5), new MosquittoAclEntry("publishClientReceive", "#", true, 5)]),
                    MosquittoDynSecCommands.CreateRole("0123456789abcdef0123456789abcdef", [], MosquittoBrokerAccounts.NodeMarker),
                ],
                tolerate: null, default);
        }
        Assert.False(expected.SetEquals(Lab.RoleAcls(a.NodeId)!));
        Server.Dispose();
        await Lab.StartServerAsync();
        Assert.True(expected.SetEquals(Lab.RoleAcls(a.NodeId)!), "the restart set A's role back");
        Assert.Null(Lab.RoleAcls("0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public async Task A_wrong_admin_password_stops_the_start_naming_the_login()
    {
        Server.Dispose();
        var settings = Lab.Settings();
        settings["Mqtt:Mosquitto:AdminPassword"] = "wrong";
        settings["DataDir"] = Lab.DataDir;
        settings["urls"] = "http://127.0.0.1:0";
        await using var app = ServerApp.Build([], settings);
        var e = await Assert.ThrowsAsync<MosquittoDynSecException>(() => app.StartAsync());
        Assert.Contains($"as '{MosquittoLab.AdminUser}'", e.Message, StringComparison.Ordinal);
        SqliteStore.ReleasePool(Path.Combine(Lab.DataDir, "appliance.db"));
    }

    [Fact]
    public async Task Force_deleting_a_network_takes_its_nodes_logins_along()
    {
        var (a, b) = await Lab.TwoNodesAsync();
        await using (await Lab.ConnectAsync(a, subscribe: false))
        {
        }
        using (var admin = Server.Admin())
        {
            await Http.EnsureAsync(await admin.DeleteAsync("/api/v1/networks/home?force=true"));
        }
        await Lab.RefusedAsync(a);
        await Lab.RefusedAsync(b);
        Assert.DoesNotContain(a.NodeId, Lab.Logins());
        Assert.DoesNotContain(b.NodeId, Lab.Logins());
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
