using Appliance.Mqtt.Packets;
using Appliance.Mqtt.Transport;

namespace Appliance.Mqtt.Client;

/// <summary>Who the client is, where it connects, and how it behaves when the network misbehaves.</summary>
public sealed class MqttClientOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 1883;

    /// <summary>
    /// Further brokers of the same cluster, tried after <see cref="Host"/>:<see cref="Port"/>: a reconnect goes to the
    /// next broker in turn (<see cref="Transport.MqttFailoverTransport"/>). Empty for a single broker. With TLS and no
    /// <see cref="MqttTlsOptions.TargetHost"/>, each broker's certificate is checked against its own host.
    /// </summary>
    public IReadOnlyList<MqttBrokerAddress> FailoverBrokers { get; set; } = [];

    /// <summary>TLS settings; null for plain TCP.</summary>
    public MqttTlsOptions? Tls { get; set; }

    public string ClientId { get; set; } = "";
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;

    /// <summary>3.1.1 clean session / 5.0 clean start. False keeps subscriptions and queued QoS 1 messages across connections.</summary>
    public bool CleanSession { get; set; } = true;

    /// <summary>MQTT 5.0 session expiry interval in seconds (0 = session ends with the connection).</summary>
    public uint SessionExpirySeconds { get; set; }

    public ushort KeepAliveSeconds { get; set; } = 30;
    public MqttWill? Will { get; set; }

    /// <summary>Time for TCP, TLS and CONNACK together.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect after a lost connection, with exponential backoff and jitter between the two delays.</summary>
    public bool AutoReconnect { get; set; } = true;
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="MaxPacketSize"/>, which devices run with: servers keep what they send under it.</summary>
    public const int DefaultMaxPacketSize = 1024 * 1024;

    /// <summary>Largest packet read from the broker; a larger one closes the connection.</summary>
    public int MaxPacketSize { get; set; } = DefaultMaxPacketSize;

    /// <summary>QoS 1 messages awaiting PUBACK; PublishAsync throws <see cref="MqttClientQueueFullException"/> beyond this.</summary>
    public int MaxInflight { get; set; } = 1000;

    /// <summary>QoS 0 messages held while disconnected or while the socket is behind; the oldest are dropped beyond this.</summary>
    public int MaxPendingQos0 { get; set; } = 1000;

    /// <summary>Received messages buffered for the reader of <see cref="MqttClient.Messages"/>; when full, reading from the socket pauses.</summary>
    public int IncomingCapacity { get; set; } = 1000;
}
