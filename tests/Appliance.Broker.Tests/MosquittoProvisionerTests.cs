using Appliance.Broker.Mosquitto;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Packets;
using Appliance.TestSupport;

namespace Appliance.Broker.Tests;

public sealed class MosquittoProvisionerTests
{
    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Password_hash_matches_the_mosquitto_passwd_format()
    {
        // mosquitto_passwd -b pw alice secret  ->  alice:$7$101$/XcEpbjJ7uK5e0KG$Q10/...
        const string written = "$7$101$/XcEpbjJ7uK5e0KG$Q10/aM3UYwDrlm9J1oUyLCFy1IqkSDy/tZbr3F4bULA4ZAMchBiEzrQr91GOfUu7pihN5hHOq0pLyWL1jp7R8Q==";
        Assert.Equal(written, MosquittoPasswordHash.Create("secret", Convert.FromBase64String("/XcEpbjJ7uK5e0KG"), 101));
        Assert.True(MosquittoPasswordHash.Verify("secret", written));
        Assert.False(MosquittoPasswordHash.Verify("Secret", written));
        Assert.True(MosquittoPasswordHash.Verify("pw", MosquittoPasswordHash.Create("pw")));
    }

    [Fact]
    [Trait("Category", TestCategories.Unit)]
    public void Acl_file_renders_and_parses_back()
    {
        var users = new[]
        {
            new MosquittoUser("server", "$7$h1", MqttTopicAcl.AllowAll),
            new MosquittoUser("n1", "$7$h2", MeshAcls.Node("n1", "lab")),
        };
        var acl = MosquittoFiles.RenderAclFile(users);
        Assert.Contains("user n1\ntopic read appliance/v1/node/n1/#\ntopic read appliance/v1/net/lab/#\ntopic write appliance/v1/report/n1/#\n", acl, StringComparison.Ordinal);
        Assert.Contains("user server\ntopic readwrite #\n", acl, StringComparison.Ordinal);
        var back = MosquittoFiles.Parse(MosquittoFiles.RenderPasswordFile(users), acl).ToDictionary(u => u.Name);
        Assert.Equal("$7$h2", back["n1"].PasswordHash);
        Assert.Equal(["appliance/v1/report/n1/#"], back["n1"].Acl.PublishPatterns);
        Assert.Throws<ArgumentException>(() => MosquittoFiles.RenderPasswordFile([new MosquittoUser("bad:name", "h", MqttTopicAcl.DenyAll)]));
    }

    [Fact]
    [Trait("Category", TestCategories.Interop)]
    public async Task Provisioned_nodes_get_their_rights_on_a_real_mosquitto()
    {
        using var dir = new TempDirectory("mosq-prov");
        var options = new MosquittoProvisionerOptions { PasswordFilePath = dir.Combine("passwd"), AclFilePath = dir.Combine("acl") };
        File.WriteAllText(options.PasswordFilePath, "");
        File.WriteAllText(options.AclFilePath, "");
        var port = MosquittoProcess.FreePort();
        await using var mosquitto = await MosquittoProcess.StartAsync(dir.Path, port,
            $"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\npassword_file {options.PasswordFilePath}\nacl_file {options.AclFilePath}\n");
        var provisioner = new MosquittoProvisioner(new MosquittoProvisionerOptions
        {
            PasswordFilePath = options.PasswordFilePath, AclFilePath = options.AclFilePath, ProcessId = mosquitto.Pid,
        });
        // One change at a time, each followed by its own reload, so no SIGHUP is coalesced with the next.
        var reloads = ReloadCount(mosquitto);

        // A stale temp file from a crashed run, world-readable: it must not pass its mode on to the credentials.
        File.WriteAllText(options.PasswordFilePath + ".tmp", "stale");
        File.SetUnixFileMode(options.PasswordFilePath + ".tmp", (UnixFileMode)0x1B6); // 0666
        await provisioner.SetUserAsync("server", "server-pw", MqttTopicAcl.AllowAll, default);
        Assert.Equal(options.FileMode, File.GetUnixFileMode(options.PasswordFilePath));
        Assert.Equal(options.FileMode, File.GetUnixFileMode(options.AclFilePath));
        reloads = await WaitForReloadAsync(mosquitto, reloads);
        await provisioner.SetUserAsync("n1", "n1-pw", MeshAcls.Node("n1", "lab"), default);
        reloads = await WaitForReloadAsync(mosquitto, reloads);

        await using var server = await ConnectAsync(port, "server", "server-pw");
        await server.SubscribeAsync("appliance/v1/report/#");
        await using var n1 = await ConnectAsync(port, "n1", "n1-pw");
        // Mosquitto grants any SUBSCRIBE and filters at delivery: check what arrives, not the SUBACK.
        await n1.SubscribeAsync("appliance/v1/node/#");
        await n1.SubscribeAsync("appliance/v1/net/lab/#");

        await server.PublishAsync("appliance/v1/node/n2/config", "for n2", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await server.PublishAsync("appliance/v1/node/n1/config", "for n1", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await server.PublishAsync("appliance/v1/net/lab/peers", "lab", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("appliance/v1/node/n1/config", (await BrokerHost.NextAsync(n1)).Topic);
        Assert.Equal("appliance/v1/net/lab/peers", (await BrokerHost.NextAsync(n1)).Topic);
        await BrokerHost.AssertNothingAsync(n1);

        await n1.PublishAsync("appliance/v1/report/n2/status", "spoof", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        await n1.PublishAsync("appliance/v1/report/n1/status", "ok", MqttQos.AtLeastOnce).AsTask().WaitAsync(BrokerHost.Wait);
        Assert.Equal("appliance/v1/report/n1/status", (await BrokerHost.NextAsync(server)).Topic);
        await BrokerHost.AssertNothingAsync(server);

        // Wrong password, then a removed node: refused.
        await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(port, "n1", "wrong"));
        await provisioner.RemoveUserAsync("n1", default);
        await WaitForReloadAsync(mosquitto, reloads);
        await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(port, "n1", "n1-pw"));

        // A fresh provisioner reads the state back from the files.
        var reloaded = new MosquittoProvisioner(options);
        await reloaded.LoadAsync(default);
        Assert.Equal(["server"], reloaded.UserNames);
    }

    private static int ReloadCount(MosquittoProcess mosquitto) => mosquitto.Log.Split("Reloading config", StringSplitOptions.None).Length - 1;

    /// <summary>Waits until Mosquitto logs one more reload than <paramref name="before"/>; returns the new count.</summary>
    private static async Task<int> WaitForReloadAsync(MosquittoProcess mosquitto, int before)
    {
        await Wait.UntilAsync(() => ReloadCount(mosquitto) > before, $"mosquitto reload #{before + 1}");
        return ReloadCount(mosquitto);
    }

    private static async Task<MqttClient> ConnectAsync(int port, string user, string password)
    {
        var c = new MqttClient(new MqttClientOptions { Port = port, ClientId = user + "-" + Guid.NewGuid().ToString("N")[..6], UserName = user, Password = password, AutoReconnect = false });
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
}
