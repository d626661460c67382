using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mesh;
using Appliance.TestSupport;

namespace Appliance.Server.Tests;

/// <summary>The server's client reaches Mosquitto over TLS, trusting only the CA named by Mqtt:Mosquitto:CaFile.</summary>
[Trait("Category", TestCategories.Interop)]
public sealed class MosquittoTlsTests : IAsyncLifetime
{
    private MosquittoLab? _lab;

    private MosquittoLab Lab => _lab!;

    public async Task InitializeAsync() => _lab = await MosquittoLab.StartAsync(tls: true);

    [Fact]
    public async Task The_server_connects_over_tls_with_its_ca_file_and_nodes_get_signed_updates()
    {
        var server = await Lab.StartServerAsync();
        await server.CreateNetworkAsync("home", "10.10.0.0/24");
        var a = await server.JoinAsync(await server.CreateKeyAsync("home"), "a");
        Assert.Equal($"mqtts://appliance.test:{Lab.Port}", a.MqttUrl);
        await using var client = await Lab.ConnectAsync(a);
        await client.PublishAsync(MeshTopics.Resync(a.NodeId), "{}", MqttQos.AtLeastOnce);
        Assert.True((await SignedUpdates.NextAsync(client, a)).IsSnapshot);
    }

    [Fact]
    public async Task The_server_does_not_connect_to_a_broker_its_ca_file_does_not_vouch_for()
    {
        using var other = new TestCertificateAuthority("Some Other CA");
        var otherCa = Path.Combine(Path.GetDirectoryName(Lab.CaFile)!, "other-ca.crt");
        File.WriteAllText(otherCa, other.Certificate.ExportCertificatePem());
        var settings = Lab.Settings();
        settings["Mqtt:Mosquitto:CaFile"] = otherCa;
        settings["DataDir"] = Lab.DataDir;
        settings["urls"] = "http://127.0.0.1:0";
        // The start provisions Mosquitto first, over the same TLS: it refuses the broker's certificate and the server
        // does not start, naming the broker it could not reach.
        Lab.Server?.Dispose();
        Lab.Server = null;
        await using (var app = Appliance.Server.Hosting.ServerApp.Build([], settings))
        {
            var e = await Assert.ThrowsAsync<Appliance.Broker.Mosquitto.MosquittoDynSecException>(() => app.StartAsync());
            Assert.Contains($"cannot connect to Mosquitto at 127.0.0.1:{Lab.Port}", e.Message, StringComparison.Ordinal);
        }
        Appliance.Server.Store.SqliteStore.ReleasePool(Path.Combine(Lab.DataDir, "appliance.db"));
        Assert.DoesNotContain(Lab.Broker.Log.Split('\n'), l => l.Contains("New client connected", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
