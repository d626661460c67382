using System.Threading.Channels;
using Appliance.Mqtt.Packets;

namespace Appliance.Mqtt.Client;

/// <summary>
/// An MQTT client as its users see it: connect once (it reconnects by itself), subscribe, publish, read what
/// arrives. <see cref="MqttClient"/> is the real one; tests use a fake that needs no broker.
/// </summary>
public interface IMqttClient : IAsyncDisposable
{
    /// <summary>The messages of every subscription, in the order they arrived.</summary>
    ChannelReader<MqttReceivedMessage> Messages { get; }

    bool IsConnected { get; }

    /// <summary>Raised with true on every (re)connect and false on every loss.</summary>
    event Action<bool>? ConnectionChanged;

    /// <summary>Connects once (failing if the broker is unreachable or refuses); afterwards the client reconnects by itself.</summary>
    /// <returns>Whether the broker still had a session for this client id.</returns>
    Task<bool> ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Subscribes and returns the broker's code per filter (granted QoS, or 0x80 and above for failure).</summary>
    Task<IReadOnlyList<byte>> SubscribeAsync(string filter, MqttQos qos = MqttQos.AtLeastOnce, CancellationToken cancellationToken = default);

    /// <summary>Publishes a message (QoS 1 completes when the broker acknowledges it).</summary>
    ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtMostOnce, bool retain = false, MqttProperties? properties = null, CancellationToken cancellationToken = default);
}
