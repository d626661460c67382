using Appliance.Broker.Mosquitto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

/// <summary>
/// <see cref="MosquittoDynSecClient"/> against a real Mosquitto 2 with its dynamic-security plugin: a provisioned
/// node logs in and is confined to its topics; removed, it is disconnected and refused; the plugin's refusals and
/// silence come back as errors that say what went wrong.
/// </summary>
[Trait("Category", TestCategories.Interop)]
public sealed class MosquittoDynSecTests : IAsyncLifetime
{
    private const string Admin = "appliance-admin";
    private readonly TempDirectory _dir = new("mosq-dynsec");
    private readonly string _adminPassword = Guid.NewGuid().ToString("N");
    private MosquittoProcess? _mosquitto;
    private MosquittoDynSecClient? _admin;

    private int Port => _mosquitto!.Port;

    private MosquittoDynSecClient AdminClient => _admin!;

    public async Task InitializeAsync()
    {
        var plugin = await MosquittoProcess.DynamicSecurityConfigAsync(_dir.Combine("dynsec.json"), Admin, _adminPassword);
        var port = Binaries.FreeTcpPort();
        _mosquitto = await MosquittoProcess.StartAsync(_dir.Path, port,
            $"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\nuse_username_as_clientid true\n{plugin}");
        _admin = new MosquittoDynSecClient(Options(Admin, _adminPassword), timeout: TimeSpan.FromSeconds(10));
    }

    private MqttClientOptions Options(string user, string password) => new()
    {
        Port = Port, ClientId = user, UserName = user, Password = password, AutoReconnect = false, ProtocolVersion = MqttProtocolVersion.V500,
    };

    private async Task ProvisionAsync(string user, string password, MqttTopicAcl acl) =>
        await AdminClient.ExecuteAsync(
            [MosquittoDynSecCommands.CreateRole(user, MosquittoDynSecAcl.ForRole(acl), "appliance-node"), MosquittoDynSecCommands.CreateClient(user, password, user, "appliance-node")],
            tolerate: null, default);

    private async Task<MqttClient> ConnectAsync(string user, string password)
    {
        var c = new MqttClient(Options(user, password));
        try
        {
            await c.ConnectAsync().WaitAsync(BrokerHost.Wait);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task A_provisioned_node_is_confined_to_its_topics_and_a_removed_one_is_disconnected_and_refused()
    {
        await ProvisionAsync("server", "server-pw", MeshAcls.Server());
        await ProvisionAsync("n1", "n1-pw", MeshAcls.Node("n1", "lab"));

        await using var server = await ConnectAsync("server", "server-pw");
        Assert.True((await server.SubscribeAsync("appliance/v1/report/+/#"))[0] < 0x80);
        await using var n1 = await ConnectAsync("n1", "n1-pw");
        Assert.True((await n1.SubscribeAsync("appliance/v1/node/n1/#"))[0] < 0x80);
        Assert.True((await n1.SubscribeAsync("appliance/v1/net/lab/#"))[0] < 0x80);
        // The plugin refuses filters outside the role at SUBSCRIBE (the file ACL only filtered at delivery).
        Assert.True((await n1.SubscribeAsync("appliance/v1/node/+/#"))[0] >= 0x80);
        Assert.True((await n1.SubscribeAsync("#"))[0] >= 0x80);
        Assert.True((await n1.SubscribeAsync("appliance/v1/net/home/#"))[0] >= 0x80);

        await server.PublishAsync("appliance/v1/node/n2/config", "for n2", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await server.PublishAsync("appliance/v1/node/n1/config", "for n1", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await server.PublishAsync("appliance/v1/net/lab/mesh", "lab", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("appliance/v1/node/n1/config", (await BrokerHost.NextAsync(n1)).Topic);
        Assert.Equal("appliance/v1/net/lab/mesh", (await BrokerHost.NextAsync(n1)).Topic);

        // Writing another node's report is refused (MQTT 5.0 PUBACK 0x87); its own goes through.
        var refused = await Assert.ThrowsAsync<MqttPublishRefusedException>(async () => await n1.PublishAsync("appliance/v1/report/n2/status", "spoof", MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        await n1.PublishAsync("appliance/v1/report/n1/status", "ok", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("appliance/v1/report/n1/status", (await BrokerHost.NextAsync(server)).Topic);
        await BrokerHost.AssertNothingAsync(n1);

        await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync("n1", "wrong"));

        // Removed: its open connection is closed at once and it cannot log in again.
        await AdminClient.ExecuteAsync([MosquittoDynSecCommands.DeleteClient("n1"), MosquittoDynSecCommands.DeleteRole("n1")], tolerate: null, default);
        await Wait.UntilAsync(() => !n1.IsConnected, "n1's connection is closed");
        await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync("n1", "n1-pw"));
        Assert.DoesNotContain(await AdminClient.ListClientsAsync(default), c => c.Username == "n1");
        Assert.DoesNotContain(await AdminClient.ListRolesAsync(default), r => r.Name == "n1");
    }

    [Fact]
    public async Task Listings_page_through_every_account_with_roles_and_acls()
    {
        // More than one page of each (PageSize 500): 30 commands per message, 520 accounts.
        var commands = new List<MosquittoDynSecCommand>();
        for (var i = 0; i < 520; i++)
        {
            commands.Add(MosquittoDynSecCommands.CreateRole($"r{i}", MosquittoDynSecAcl.ForRole(MeshAcls.Node($"n{i}", "lab")), "appliance-node"));
        }
        await AdminClient.ExecuteAsync(commands, tolerate: null, default);
        await AdminClient.ExecuteAsync([MosquittoDynSecCommands.CreateClient("n7", "pw", "r7", "appliance-node")], tolerate: null, default);

        var roles = await AdminClient.ListRolesAsync(default);
        Assert.Equal(521, roles.Count); // and the admin's own
        Assert.True(MosquittoDynSecAcl.Same(MosquittoDynSecAcl.ForRole(MeshAcls.Node("n519", "lab")), roles.Single(r => r.Name == "r519").Acls));
        var clients = await AdminClient.ListClientsAsync(default);
        Assert.Equal(["r7"], clients.Single(c => c.Username == "n7").Roles);
        Assert.Equal("appliance-node", clients.Single(c => c.Username == "n7").TextName);
    }

    [Fact]
    public async Task Refusals_name_the_command_and_the_plugins_reason()
    {
        var e = await Assert.ThrowsAsync<MosquittoDynSecException>(() =>
            AdminClient.ExecuteAsync([MosquittoDynSecCommands.CreateClient("n9", "pw", "no-such-role")], tolerate: null, default));
        Assert.Equal("Mosquitto's dynamic-security plugin refused createClient n9: Role not found", e.Message);

        // A tolerated error ("Client not found" for a delete) is not one.
        await AdminClient.ExecuteAsync([MosquittoDynSecCommands.DeleteClient("n9")], a => a.Error == "Client not found", default);

        // A wrong admin password, and a login that is not an admin (the plugin never answers it).
        await using var wrong = new MosquittoDynSecClient(Options(Admin, "wrong"), timeout: TimeSpan.FromSeconds(2));
        e = await Assert.ThrowsAsync<MosquittoDynSecException>(() => wrong.ListClientsAsync(default));
        Assert.Contains($"cannot connect to Mosquitto at 127.0.0.1:{Port} as '{Admin}'", e.Message, StringComparison.Ordinal);
        await ProvisionAsync("plain", "plain-pw", MeshAcls.Node("plain", "lab"));
        await using var plain = new MosquittoDynSecClient(Options("plain", "plain-pw"), timeout: TimeSpan.FromSeconds(2));
        e = await Assert.ThrowsAsync<MosquittoDynSecException>(() => plain.ListClientsAsync(default));
        Assert.Contains("the subscription to $CONTROL/dynamic-security/v1/response", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_client_reaches_a_restarted_mosquitto_again()
    {
        await ProvisionAsync("n1", "pw", MeshAcls.Node("n1", "lab"));
        await _mosquitto!.RestartAsync();
        // The plugin's state file kept the account; the client notices the lost connection and connects anew.
        await Wait.UntilAsync(async () =>
        {
            try
            {
                return (await AdminClient.ListClientsAsync(default)).Any(c => c.Username == "n1");
            }
            catch (MosquittoDynSecException)
            {
                return false;
            }
        }, "the admin client lists n1 after the restart");
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        if (_mosquitto is not null)
        {
            await _mosquitto.DisposeAsync();
        }
        _dir.Dispose();
    }
}
