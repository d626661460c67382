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
        var logFrom = Lab.Broker.Log.Length;
        Lab.Server = new ServerFactory(Lab.DataDir, settings: settings);
        var bus = Lab.Bus; // starts the server
        // No fixed wait: the server retries at once and then backs off, so three connections Mosquitto saw end in a
        // failed handshake prove it tried, refused the broker's certificate, and kept refusing.
        await Lab.WaitUntilAsync(() => Occurrences(Lab.Broker.Log[logFrom..], "New connection from") >= 3, "three TLS attempts by the server");
        Assert.False(bus.IsConnected);
        Assert.DoesNotContain(Lab.Broker.Log.Split('\n'), l => l.Contains("New client connected", StringComparison.Ordinal) && l.Contains("appliance-server", StringComparison.Ordinal));
    }

    private static int Occurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
