using System.Collections.Concurrent;
using Appliance.Mqtt.Client;

namespace Appliance.TestSupport;

/// <summary>
/// Makes <see cref="FakeMqttClient"/>s: a broker that is reachable or not (<see cref="Reachable"/>), without sockets.
/// </summary>
public sealed class FakeMqttClientFactory : IMqttClientFactory
{
    private readonly ConcurrentQueue<FakeMqttClient> _clients = new();

    /// <summary>Filters the broker refuses to subscribe (SUBACK 0x80), as a broker whose ACL does not allow them.</summary>
    public HashSet<string> RefusedFilters { get; } = new(StringComparer.Ordinal);

    /// <summary>While false, every connect fails as with a broker nobody listens on.</summary>
    public bool Reachable { get; set; } = true;

    /// <summary>The clients made so far, oldest first.</summary>
    public IReadOnlyList<FakeMqttClient> Clients => [.. _clients];

    /// <summary>The newest client, or null before the first.</summary>
    public FakeMqttClient? Last => _clients.LastOrDefault();

    public IMqttClient Create(MqttClientOptions options)
    {
        var client = new FakeMqttClient(options, this);
        _clients.Enqueue(client);
        return client;
    }
}
