using Appliance.Mqtt.Formatter;

namespace Appliance.Broker;

/// <summary>
/// Pure topic access list: allow patterns with MQTT wildcards. A PUBLISH topic is allowed when a publish pattern
/// matches it; a SUBSCRIBE filter is allowed when a subscribe pattern covers every topic the filter could match
/// (so a client allowed "a/b/c1/#" cannot subscribe to "a/b/+/#" or "#"). The broker knows no topic scheme: whoever
/// hosts it (the server) hands each principal its patterns as data.
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
