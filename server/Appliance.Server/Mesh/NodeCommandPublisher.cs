using System.Security.Cryptography;
using System.Text.Json;
using Appliance.Contracts;
using Appliance.Contracts.Mesh;
using Appliance.Crypto;
using Appliance.Mqtt.Packets;
using Appliance.Server.Mqtt;
using Appliance.Server.Security;

namespace Appliance.Server.Mesh;

/// <summary>
/// Sends one node a <see cref="NodeCommand"/>, signed with the key that signs its mesh updates (so nobody else on the
/// broker can make every box blink), on <see cref="MeshTopics.Commands"/> at QoS 1: a node that is briefly away gets
/// it from its persistent session, and drops it when it has gone stale.
/// </summary>
public sealed class NodeCommandPublisher(SigningKeyRing signingKeys, IMeshBus bus, TimeProvider clock)
{
    /// <summary>False when the server runs without MQTT: there is no channel to the nodes.</summary>
    public bool Enabled => bus.Enabled;

    public async Task<NodeCommand> IdentifyAsync(string nodeId, int seconds, CancellationToken ct)
    {
        var command = new NodeCommand
        {
            Kind = NodeCommand.IdentifyKind,
            NodeId = nodeId,
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            IssuedAt = clock.GetUtcNow(),
            Seconds = seconds,
        };
        var wire = SignedEnvelope.Seal(signingKeys.PrivateKey, JsonSerializer.SerializeToUtf8Bytes(command, ApplianceJsonContext.Default.NodeCommand));
        await bus.PublishAsync(MeshTopics.Commands(nodeId), wire, MqttQos.AtLeastOnce, retain: false, ct);
        return command;
    }
}
