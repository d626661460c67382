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
        Lab.Server = new ServerFactory(Lab.DataDir, settings: settings);
        var bus = Lab.Bus; // starts the server
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(bus.IsConnected);
        Assert.DoesNotContain(Lab.Broker.Log.Split('\n'), l => l.Contains("New client connected", StringComparison.Ordinal) && l.Contains("appliance-server", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
