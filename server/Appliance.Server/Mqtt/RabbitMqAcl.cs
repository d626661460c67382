using System.Text;
using System.Text.RegularExpressions;
using Appliance.Broker;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Turns a principal's <see cref="MqttTopicAcl"/> (from <see cref="MeshBrokerAcl"/>, the one spelling of the topics)
/// into RabbitMQ permissions. RabbitMQ's MQTT plugin maps a topic to a routing key on <c>amq.topic</c> by turning
/// '/' into '.' and '+' into '*' ('#' stays), and checks a PUBLISH topic against the write regex and a SUBSCRIBE
/// filter, mapped the same way, against the read regex. So a pattern's literal levels must match exactly, and its
/// wildcards must cover whatever a client could put there, wildcards included: a node allowed its own node level
/// and everything below (<c>MeshTopics.NodeAccess</c>) may subscribe to <c>…/ID/+</c> but not
/// to <c>…/+/mesh</c> or <c>#</c>.
/// </summary>
public static class RabbitMqAcl
{
    /// <summary>The exchange the MQTT plugin publishes to (<c>mqtt.exchange</c>, RabbitMQ's default).</summary>
    public const string Exchange = "amq.topic";

    /// <summary>A regex that matches nothing (RabbitMQ's way to grant no access is an empty string).</summary>
    private const string Nothing = "";

    /// <summary>
    /// The permissions of a client: its own MQTT session queues only (<c>mqtt-subscription-&lt;client id&gt;qos0|1</c>,
    /// so over AMQP it cannot touch another client's queue), the MQTT exchange, and the topics of <paramref name="acl"/>.
    /// </summary>
    /// <param name="replicas">The server's user: its replicas' client ids are the user and a suffix each (<see cref="RabbitMqBrokerAccounts.ReplicaClientId"/>).</param>
    public static RabbitMqPermissions For(string clientId, MqttTopicAcl acl, bool replicas = false)
    {
        if (clientId.Length == 0 || !clientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException("a RabbitMQ client id here is a-z, A-Z, 0-9, '-', '_', '.': " + clientId, nameof(clientId));
        }
        var queues = "mqtt-subscription-" + Regex.Escape(clientId) + (replicas ? "(-[0-9a-f]{16})?" : "") + "qos[01]";
        return new RabbitMqPermissions(
            Configure: "^" + queues + "$",
            Write: "^(" + Regex.Escape(Exchange) + "|" + queues + ")$",
            Read: "^(" + Regex.Escape(Exchange) + "|" + queues + ")$",
            TopicWrite: TopicRegex(acl.PublishPatterns),
            TopicRead: TopicRegex(acl.SubscribePatterns));
    }

    /// <summary>A routing-key regex that accepts exactly what the MQTT patterns cover, anchored; empty when there are none.</summary>
    public static string TopicRegex(IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0)
        {
            return Nothing;
        }
        return "^(" + string.Join("|", patterns.Select(Pattern)) + ")$";
    }

    private static string Pattern(string pattern)
    {
        var levels = pattern.Split('/');
        var sb = new StringBuilder();
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level == "#")
            {
                // MQTT: "a/#" also matches "a" itself; below it anything, wildcards included, is covered.
                sb.Append(i == 0 ? ".*" : @"(\..*)?");
                return sb.ToString();
            }
            if (i > 0)
            {
                sb.Append(@"\.");
            }
            // '+' covers one level: any name, or a client's own '*' there, but never a '#' (which reaches deeper).
            sb.Append(level == "+" ? @"([^.*#]+|\*)" : Literal(level));
        }
        return sb.ToString();
    }

    private static string Literal(string level)
    {
        // A '.' in a level would become a level separator in the routing key, so patterns with one cannot be mapped
        // (mesh topics are made of node ids and DNS labels, which have none).
        if (level.Contains('.') || level.Contains('*'))
        {
            throw new ArgumentException($"the topic level '{level}' cannot be mapped to a RabbitMQ routing key");
        }
        return Regex.Escape(level);
    }
}
