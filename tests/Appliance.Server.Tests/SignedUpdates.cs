using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Api;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Client;
using Appliance.Server.Mesh;

namespace Appliance.Server.Tests;

/// <summary>Reads a node's next mesh update off its MQTT client, as an agent would: on its topic, signature checked.</summary>
public static class SignedUpdates
{
    public static async Task<MeshUpdate> NextAsync(MqttClient client, JoinResponse node) => (await NextWithWireAsync(client, node)).Update;

    /// <summary>The next update for <paramref name="node"/>, checked and opened, with the signed message it came in.</summary>
    public static async Task<(MeshUpdate Update, byte[] Wire)> NextWithWireAsync(MqttClient client, JoinResponse node)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await client.Messages.ReadAsync(cts.Token);
        Assert.Equal(MeshTopics.Updates(node.NodeId), message.Topic);
        Assert.True(SignedEnvelope.TryOpen(message.Payload.Span, Convert.FromBase64String(node.SigningKey!), out var payload, out var error), error);
        return (JsonSerializer.Deserialize(payload, ApplianceJsonContext.Default.MeshUpdate)!, message.Payload.ToArray());
    }
}
