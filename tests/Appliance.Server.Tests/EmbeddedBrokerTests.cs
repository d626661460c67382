using System.Text;
using Appliance.Contracts.Api;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mqtt;
using Appliance.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>The broker inside the server process: nodes log in with their join credential, over TLS with the server's CA.</summary>
[Trait("Category", TestCategories.Interop)]
public sealed class EmbeddedBrokerTests : IDisposable
{
    private readonly ServerFactory _server = new();

    private async Task<(JoinResponse A, JoinResponse B, int Port)> TwoNodesAsync()
    {
        await _server.CreateNetworkAsync("home", "10.10.0.0/24");
        var key = await _server.CreateKeyAsync("home");
        var a = await _server.JoinAsync(key, "a");
        var b = await _server.JoinAsync(key, "b");
        var port = _server.Services.GetRequiredService<BrokerHost>().BoundUrl.Port;
        Assert.Equal($"mqtts://appliance.test:{port}", a.MqttUrl);
        return (a, b, port);
    }

    private Task<ProcessResult> SubAsync(int port, string clientId, string user, string password, string topic, int count = 1, int waitSeconds = 10) =>
        ProcessRunner.RunAsync(Prerequisites.RequireProgram("mosquitto_sub"),
        [
            "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cafile", Path.Combine(_server.DataDir, "ca.crt"),
            "-i", clientId, "-u", user, "-P", password, "-t", topic, "-C", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-W", waitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv311",
        ], timeout: TimeSpan.FromSeconds(waitSeconds + 20));

    [Fact]
    public async Task A_node_receives_its_own_topic_over_tls_with_its_join_credential()
    {
        var (a, _, port) = await TwoNodesAsync();
        var broker = _server.Services.GetRequiredService<BrokerHost>().Broker;
        broker.Publish($"appliance/v1/node/{a.NodeId}/hello", Encoding.UTF8.GetBytes("to-a"), MqttQos.AtLeastOnce, retain: true);
        var r = await SubAsync(port, a.NodeId, a.NodeId, a.Credential, $"appliance/v1/node/{a.NodeId}/#");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal("to-a", r.StdOut.Trim());
    }

    [Fact]
    public async Task Wrong_credentials_and_borrowed_client_ids_are_refused()
    {
        var (a, b, port) = await TwoNodesAsync();
        var wrongPassword = await SubAsync(port, a.NodeId, a.NodeId, b.Credential, $"appliance/v1/node/{a.NodeId}/#", waitSeconds: 3);
        Assert.NotEqual(0, wrongPassword.ExitCode);
        Assert.Contains("Connection Refused", wrongPassword.StdErr, StringComparison.Ordinal);
        var borrowedId = await SubAsync(port, b.NodeId, a.NodeId, a.Credential, $"appliance/v1/node/{a.NodeId}/#", waitSeconds: 3);
        Assert.NotEqual(0, borrowedId.ExitCode);
        var admin = await SubAsync(port, "admin", "admin", _server.AdminToken, "#", waitSeconds: 3);
        Assert.NotEqual(0, admin.ExitCode);
        Assert.True(_server.Services.GetRequiredService<BrokerHost>().Broker.Metrics.AuthenticationFailures >= 3);
    }

    [Fact]
    public async Task A_node_never_receives_another_nodes_topics()
    {
        var (a, b, port) = await TwoNodesAsync();
        var broker = _server.Services.GetRequiredService<BrokerHost>().Broker;
        broker.Publish($"appliance/v1/node/{b.NodeId}/secret", Encoding.UTF8.GetBytes("for-b-only"), MqttQos.AtLeastOnce, retain: true);
        // A asks for B's topic and for everything; it gets nothing within the wait (mosquitto_sub -W exits 27 on timeout).
        var snoop = await SubAsync(port, a.NodeId, a.NodeId, a.Credential, $"appliance/v1/node/{b.NodeId}/#", waitSeconds: 2);
        Assert.DoesNotContain("for-b-only", snoop.StdOut, StringComparison.Ordinal);
        var all = await SubAsync(port, a.NodeId, a.NodeId, a.Credential, "#", waitSeconds: 2);
        Assert.DoesNotContain("for-b-only", all.StdOut, StringComparison.Ordinal);
        // B itself does get it.
        var own = await SubAsync(port, b.NodeId, b.NodeId, b.Credential, $"appliance/v1/node/{b.NodeId}/#");
        Assert.Equal("for-b-only", own.StdOut.Trim());
        Assert.True(broker.Metrics.AclDenials >= 2);
    }

    public void Dispose() => _server.Dispose();
}
