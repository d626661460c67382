using System.Security.Cryptography.X509Certificates;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Mqtt.Client;
using Appliance.Mqtt.Transport;
using Appliance.Server.Mesh;
using Appliance.Server.Mqtt;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests;

/// <summary>A node's MQTT session on the embedded broker, subscribed to its mesh updates, as an agent holds one.</summary>
public static class MeshFollower
{
    public static async Task<MqttClient> ConnectAsync(ServerFactory server, JoinResponse node)
    {
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "ca.crt")));
        var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = server.Services.GetRequiredService<BrokerHost>().BoundUrl.Port,
            ClientId = node.NodeId,
            UserName = node.NodeId,
            Password = node.Credential,
            Tls = new MqttTlsOptions { TargetHost = "127.0.0.1", TrustedRoots = [ca] },
            AutoReconnect = false,
        });
        await client.ConnectAsync(); // throws when refused; the result is "session present"
        await client.SubscribeAsync(MeshTopics.Updates(node.NodeId));
        return client;
    }
}
