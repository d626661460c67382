using Appliance.Mqtt.Formatter;

namespace Appliance.Broker;

/// <summary>
/// Pure topic access list: allow patterns with MQTT wildcards. A PUBLISH topic is allowed when a publish pattern
/// matches it; a SUBSCRIBE filter is allowed when a subscribe pattern covers every topic the filter could match
/// (so a node allowed "appliance/v1/node/n1/#" cannot subscribe to "appliance/v1/node/+/#" or "#").
/// </summary>
public sealed class MqttTopicAcl
{
    public MqttTopicAcl(IEnumerable<string> subscribePatterns, IEnumerable<string> publishPatterns)
    {
        SubscribePatterns = [.. subscribePatterns];
        PublishPatterns = [.. publishPatterns];
        foreach (var p in SubscribePatterns.Concat(PublishPatterns))
        {
            if (!MqttTopic.IsValidTopicFilter(p))
            {
                throw new ArgumentException("invalid ACL pattern: " + p);
            }
        }
    }

    /// <summary>Everything allowed: for the server's own internal client.</summary>
    public static MqttTopicAcl AllowAll { get; } = new(["#"], ["#"]);

    public static MqttTopicAcl DenyAll { get; } = new([], []);

    public IReadOnlyList<string> SubscribePatterns { get; }

    public IReadOnlyList<string> PublishPatterns { get; }

    /// <summary>The ACL of a node: its own downlink topics and its networks' shared topics to read, its report topics to write.</summary>
    public static MqttTopicAcl ForNode(string nodeId, IEnumerable<string> networks)
    {
        var read = new List<string> { $"appliance/v1/node/{nodeId}/#" };
        read.AddRange(networks.Select(n => $"appliance/v1/net/{n}/#"));
        return new MqttTopicAcl(read, [$"appliance/v1/report/{nodeId}/#"]);
    }

    /// <summary>
    /// The ACL of the server's own client on an external broker: it writes every node's downlink and network
    /// topics and reads every node's reports, and nothing else (no "#" that would let it read other tenants' topics).
    /// </summary>
    public static MqttTopicAcl ForServer() =>
        new(["appliance/v1/report/+/#"], ["appliance/v1/node/+/#", "appliance/v1/net/+/#"]);

    public bool CanPublish(string topic)
    {
        foreach (var p in PublishPatterns)
        {
            if (MqttTopic.Matches(p, topic))
            {
                return true;
            }
        }
        return false;
    }

    public bool CanSubscribe(string filter)
    {
        foreach (var p in SubscribePatterns)
        {
            if (MqttTopic.IsCoveredBy(filter, p))
            {
                return true;
            }
        }
        return false;
    }
}
