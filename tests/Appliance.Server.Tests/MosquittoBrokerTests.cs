using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Appliance.Server.Store;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>
/// The real server with <c>Mqtt:Broker=mosquitto</c> against a real Mosquitto that reads the password and ACL files
/// the server writes: nodes log in with their join credential, get signed updates, report back, stay on their own
/// topics, and lose their login when deleted.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class MosquittoBrokerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("mosq-server");
    private MosquittoProcess? _mosquitto;
    private ServerFactory? _server;
    private int _port;

    private string PasswordFile => _dir.Combine("passwd");

    private string AclFile => _dir.Combine("acl");

    private ServerFactory Server => _server!;

    private MosquittoProcess Broker => _mosquitto!;

    public async Task InitializeAsync()
    {
        // Mosquitto needs both files to exist when it starts; the server fills them.
        File.WriteAllText(PasswordFile, "");
        File.WriteAllText(AclFile, "");
        _port = MosquittoProcess.FreePort();
        _mosquitto = await MosquittoProcess.StartAsync(_dir.Path, _port,
            $"listener {_port} 127.0.0.1\nallow_anonymous false\npersistence false\nuse_username_as_clientid true\n" +
            $"password_file {PasswordFile}\nacl_file {AclFile}\n");
        _server = await StartServerAsync();
    }

    // The data dir belongs to the test (not the factory), so a second server can start on it.
    private async Task<ServerFactory> StartServerAsync()
    {
        var server = new ServerFactory(_dir.Combine("data"), settings: new Dictionary<string, string?>
        {
            ["Mqtt:Broker"] = "mosquitto",
            ["Mqtt:Mosquitto:Url"] = $"mqtt://127.0.0.1:{_port}",
            ["Mqtt:Mosquitto:PasswordFile"] = PasswordFile,
            ["Mqtt:Mosquitto:AclFile"] = AclFile,
            ["Mqtt:Mosquitto:Pid"] = Broker.Pid.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:PublicUrl"] = $"mqtt://appliance.test:{_port}",
        });
        var bus = Assert.IsType<MosquittoMeshBus>(server.Services.GetRequiredService<IMeshBus>());
        await WaitUntilAsync(() => bus.IsConnected, "the server's client connects to Mosquitto");
        return server;
    }

    private async Task<string> WaitUntilAsync(Func<bool> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}; mosquitto log:\n{Broker.Log}");
            await Task.Delay(50);
        }
        return what;
    }

    private async Task<MqttClient> ConnectAsync(JoinResponse node, bool subscribe = true)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = _port,
            ClientId = node.NodeId,
            UserName = node.NodeId,
            Password = node.Credential,
            // 5.0, so a refused publish comes back as a PUBACK reason code instead of silence.
            ProtocolVersion = MqttProtocolVersion.V500,
            AutoReconnect = false,
        });
        try
        {
            await client.ConnectAsync();
            if (subscribe)
            {
                await client.SubscribeAsync(MeshTopics.Updates(node.NodeId));
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    private static async Task<MeshUpdate> NextAsync(MqttClient client, JoinResponse node)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await client.Messages.ReadAsync(cts.Token);
        Assert.Equal(MeshTopics.Updates(node.NodeId), message.Topic);
        Assert.True(SignedEnvelope.TryOpen(message.Payload.Span, Convert.FromBase64String(node.SigningKey!), out var payload, out var error), error);
        return JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!;
    }

    private async Task<NodeDto> NodeAsync(string id)
    {
        using var admin = Server.Admin();
        return (await admin.GetFromJsonAsync<NodeDto>($"/api/v1/nodes/{id}"))!;
    }

    private async Task<(JoinResponse A, JoinResponse B)> TwoNodesAsync()
    {
        await Server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await Server.CreateKeyAsync("home");
        return (await Server.JoinAsync(key, "a"), await Server.JoinAsync(key, "b"));
    }

    /// <summary>Connects until Mosquitto refuses (it applies a SIGHUP shortly after the signal).</summary>
    private async Task<MqttConnectException> RefusedAsync(JoinResponse node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var c = await ConnectAsync(node, subscribe: false);
            }
            catch (MqttConnectException e)
            {
                return e;
            }
            Assert.True(DateTime.UtcNow < deadline, $"node {node.NodeId} can still log in; mosquitto log:\n{Broker.Log}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_node_gets_signed_updates_through_mosquitto_and_its_reports_reach_the_server()
    {
        await Server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await Server.CreateKeyAsync("home");
        var a = await Server.JoinAsync(key, "a");
        Assert.Equal($"mqtt://appliance.test:{_port}", a.MqttUrl);
        await using var client = await ConnectAsync(a);

        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        var snapshot = await NextAsync(client, a);
        Assert.True(snapshot.IsSnapshot);
        var mine = MeshDelta.Apply(null, snapshot);
        using (var self = Server.As(a.Credential))
        {
            Assert.True(MeshDelta.SameConfig((await self.GetFromJsonAsync<NodeConfigDto>("/api/v1/node/config"))!, mine));
        }

        var b = await Server.JoinAsync(key, "b");
        var joined = await NextAsync(client, a);
        Assert.Equal((MeshUpdate.DeltaKind, "b"), (joined.Kind, Assert.Single(joined.UpsertPeers).Name));
        Assert.Equal(b.NodeId, joined.UpsertPeers[0].NodeId);

        var before = await NodeAsync(a.NodeId);
        await Task.Delay(1100); // last-seen has one-second resolution at worst; make the move visible
        var report = new NodeReport { ListenPort = 52111, Endpoints = ["198.51.100.7:52111"], AppliedVersion = joined.ToVersion, AgentVersion = "test" };
        await client.PublishAsync(MeshTopics.Status(a.NodeId), JsonSerializer.SerializeToUtf8Bytes(report, ApplianceJsonContext.Default.NodeReport), MqttQos.AtLeastOnce);
        NodeDto after = before;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (after.ListenPort != 52111)
        {
            Assert.True(DateTime.UtcNow < deadline, "the status report did not reach the server");
            await Task.Delay(100);
            after = await NodeAsync(a.NodeId);
        }
        Assert.True(after.Online);
        Assert.True(after.LastSeen > before.LastSeen, $"last seen {after.LastSeen:O} did not move past {before.LastSeen:O}");
        Assert.Equal(["198.51.100.7:52111"], after.Endpoints);
    }

    [Fact]
    public async Task Nodes_stay_on_their_own_topics_and_lose_their_login_when_deleted_or_leaving()
    {
        var (a, b) = await TwoNodesAsync();
        await using var ca = await ConnectAsync(a);
        await using var cb = await ConnectAsync(b);
        // Mosquitto acknowledges any SUBSCRIBE and filters at delivery: A asks for B's topic and for everything.
        await ca.SubscribeAsync(MeshTopics.Updates(b.NodeId));
        await ca.SubscribeAsync("#");

        await cb.PublishAsync(MeshTopics.Resync(b.NodeId), "{}", MqttQos.AtLeastOnce);
        Assert.True((await NextAsync(cb, b)).IsSnapshot);
        await Task.Delay(1000);
        Assert.False(ca.Messages.TryRead(out var leaked), $"A received {leaked?.Topic}");

        // A writing B's report or downlink topics is refused (5.0 PUBACK 0x87) and changes nothing.
        var bBefore = await NodeAsync(b.NodeId);
        var forged = JsonSerializer.SerializeToUtf8Bytes(new NodeReport { ListenPort = 40000, Endpoints = ["203.0.113.66:40000"] }, ApplianceJsonContext.Default.NodeReport);
        var refused = await Assert.ThrowsAsync<MqttPublishRefusedException>(async () => await ca.PublishAsync(MeshTopics.Status(b.NodeId), forged, MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        await Assert.ThrowsAsync<MqttPublishRefusedException>(async () => await ca.PublishAsync(MeshTopics.Updates(b.NodeId), "forged"u8.ToArray(), MqttQos.AtLeastOnce));
        await Task.Delay(500);
        var bAfter = await NodeAsync(b.NodeId);
        Assert.Equal(bBefore.ListenPort, bAfter.ListenPort);
        Assert.Equal(bBefore.Endpoints, bAfter.Endpoints);
        Assert.Contains($"Denied PUBLISH from {a.NodeId}", Broker.Log, StringComparison.Ordinal);

        // A wrong password for a real node is refused as well.
        await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(a with { Credential = b.Credential }, subscribe: false));

        // Admin delete: A's login is gone from the files and refused; B still logs in.
        using (var admin = Server.Admin())
        {
            await Http.EnsureAsync(await admin.DeleteAsync($"/api/v1/nodes/{a.NodeId}"));
        }
        await RefusedAsync(a);
        Assert.DoesNotContain(a.NodeId, File.ReadAllText(PasswordFile), StringComparison.Ordinal);
        Assert.DoesNotContain(a.NodeId, File.ReadAllText(AclFile), StringComparison.Ordinal);
        await using (await ConnectAsync(b, subscribe: false))
        {
        }

        // Leave (the node deletes itself with its credential): the same.
        using (var self = Server.As(b.Credential))
        {
            await Http.EnsureAsync(await self.DeleteAsync("/api/v1/node"));
        }
        await RefusedAsync(b);
    }

    [Fact]
    public async Task The_server_resubscribes_after_mosquitto_restarts()
    {
        var (a, _) = await TwoNodesAsync();
        var bus = (MosquittoMeshBus)Server.Services.GetRequiredService<IMeshBus>();
        // persistence false: the restarted broker has no session for the server, so only a resubscribe brings reports back.
        await Broker.RestartAsync();
        await WaitUntilAsync(() => !bus.IsConnected, "the server notices the restart", 60);
        await WaitUntilAsync(() => bus.IsConnected, "the server reconnects", 30);
        await using var client = await ConnectAsync(a);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        MeshUpdate? snapshot = null;
        while (snapshot is null)
        {
            // The SUBSCRIBE goes out right after the CONNACK; ask again until the server hears it.
            await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
            try
            {
                snapshot = await NextAsync(client, a);
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
        var (a, b) = await TwoNodesAsync();
        var dataDir = Server.DataDir;
        var secretFile = Path.Combine(dataDir, MosquittoBrokerAccounts.SecretFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        var secret = File.ReadAllText(secretFile);
        var lineOfA = File.ReadAllLines(PasswordFile).Single(l => l.StartsWith(a.NodeId + ":", StringComparison.Ordinal));

        // Stop the server and delete B behind its back.
        Server.Dispose();
        _server = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var store = new SqliteStore(Path.Combine(dataDir, "appliance.db")))
        {
            await store.WriteAsync(s => { s.DeleteNode(b.NodeId); return 0; });
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        _server = await StartServerAsync();
        var passwd = File.ReadAllLines(PasswordFile);
        Assert.Contains(lineOfA, passwd);
        Assert.DoesNotContain(passwd, l => l.StartsWith(b.NodeId + ":", StringComparison.Ordinal));
        Assert.Contains(passwd, l => l.StartsWith(MosquittoSettings.DefaultUser + ":", StringComparison.Ordinal));
        Assert.Equal(secret, File.ReadAllText(secretFile));
        await using (await ConnectAsync(a, subscribe: false))
        {
        }
        await RefusedAsync(b);
    }

    public async Task DisposeAsync()
    {
        _server?.Dispose();
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
        }
        _dir.Dispose();
    }
}
