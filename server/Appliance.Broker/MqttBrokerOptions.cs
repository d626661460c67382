namespace Appliance.Broker;

/// <summary>Listeners and the limits that protect the server.</summary>
public sealed class MqttBrokerOptions
{
    public List<MqttBrokerListenerOptions> Listeners { get; } = [];

    public int MaxConnections { get; set; } = 20_000;

    /// <summary>Largest packet accepted (and, to 5.0 clients, announced in CONNACK).</summary>
    public int MaxPacketSize { get; set; } = 256 * 1024;

    public int MaxSubscriptionsPerClient { get; set; } = 64;

    /// <summary>Time a new socket has to finish TLS and send CONNECT.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>New connections accepted per second (token bucket with this burst); excess sockets are closed at once.</summary>
    public int MaxNewConnectionsPerSecond { get; set; } = 1000;

    /// <summary>
    /// New connections accepted per second from one source address (token bucket with this burst), checked before
    /// <see cref="MaxNewConnectionsPerSecond"/>: one address flooding the listener is refused from its own budget and
    /// cannot use up the broker-wide one, so nodes reconnecting from elsewhere still get in.
    /// </summary>
    public int MaxNewConnectionsPerSecondPerAddress { get; set; } = 50;

    /// <summary>Source addresses tracked at once for <see cref="MaxNewConnectionsPerSecondPerAddress"/>; beyond it new addresses share one bucket.</summary>
    public int MaxTrackedSourceAddresses { get; set; } = 100_000;

    /// <summary>QoS 1 messages held per session beyond the in-flight window; when full the oldest is dropped and counted.</summary>
    public int MaxQueuedMessagesPerClient { get; set; } = 1000;

    /// <summary>Unacknowledged QoS 1 messages sent to one client at a time.</summary>
    public int MaxInflightPerClient { get; set; } = 32;

    /// <summary>Encoded packets waiting for a slow socket before QoS 0 messages to it are dropped.</summary>
    public int MaxPendingWritesPerClient { get; set; } = 4096;

    /// <summary>
    /// Bytes of encoded packets waiting for one slow socket: past this, QoS 0 messages to it are dropped, and a client
    /// that still needs more (acknowledgements, QoS 1 resends) is disconnected, so one stalled client cannot exhaust memory.
    /// </summary>
    public long MaxPendingBytesPerClient { get; set; } = 4 * 1024 * 1024;

    /// <summary>Retained topics one authenticated principal may hold; further retained publishes are refused and counted. The server's own are not limited.</summary>
    public int MaxRetainedMessagesPerPrincipal { get; set; } = 1000;

    /// <summary>How long a 3.1.1 persistent session (clean session = 0) outlives its connection; 5.0 clients ask for their own, capped by this.</summary>
    public TimeSpan MaxSessionExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often keepalive and session expiry are checked.</summary>
    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lets OpenSSL free a TLS connection's ~17 KB read and write record buffers whenever they are empty
    /// (SSL_MODE_RELEASE_BUFFERS), so thousands of mostly idle TLS clients do not each hold ~34 KB for nothing.
    /// </summary>
    public bool ReleaseTlsBuffersWhenIdle { get; set; } = true;

    /// <summary>
    /// After a burst (snapshots to many members), once the process is quiet and the GC holds 32 MB or more of committed
    /// but free memory, run one aggressive collection (at most every 30 s) so the memory goes back to the system.
    /// </summary>
    public bool TrimMemoryWhenQuiet { get; set; } = true;

    /// <summary>Receives log lines; null discards them.</summary>
    public Action<MqttBrokerLogLevel, string>? Log { get; set; }
}
