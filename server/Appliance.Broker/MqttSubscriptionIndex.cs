using Appliance.Mqtt.Packets;

namespace Appliance.Broker;

/// <summary>Topic-level tree of subscriptions; matching walks exact, '+' and '#' branches (3.1.1 section 4.7).</summary>
internal sealed class MqttSubscriptionIndex
{
    private readonly Node _root = new();
    private readonly Lock _lock = new();

    public void Add(string filter, MqttBrokerSession session, MqttTopicFilter options)
    {
        lock (_lock)
        {
            var node = _root;
            foreach (var level in filter.Split('/'))
            {
                node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!node.Children.TryGetValue(level, out var child))
                {
                    child = new Node();
                    node.Children[level] = child;
                }
                node = child;
            }
            (node.Subscribers ??= [])[session] = options;
        }
    }

    public void Remove(string filter, MqttBrokerSession session)
    {
        lock (_lock)
        {
            RemoveAt(_root, filter.Split('/'), 0, session);
        }
    }

    /// <summary>Adds every (session, options) whose filter matches; a session matched by several filters keeps the highest QoS.</summary>
    public void Match(string topic, Dictionary<MqttBrokerSession, MqttTopicFilter> results)
    {
        var levels = topic.Split('/');
        lock (_lock)
        {
            Walk(_root, levels, 0, results);
        }
    }

    private static void Walk(Node node, string[] levels, int depth, Dictionary<MqttBrokerSession, MqttTopicFilter> results)
    {
        if (node.Children is null)
        {
            if (depth == levels.Length)
            {
                Collect(node, results);
            }
            return;
        }
        // 4.7.2: topics starting with '$' are not matched by a leading wildcard.
        var wildcardsAllowed = depth > 0 || levels[0].Length == 0 || levels[0][0] != '$';
        if (wildcardsAllowed && node.Children.TryGetValue("#", out var hash))
        {
            Collect(hash, results);
        }
        if (depth == levels.Length)
        {
            Collect(node, results);
            return;
        }
        if (node.Children.TryGetValue(levels[depth], out var exact))
        {
            Walk(exact, levels, depth + 1, results);
        }
        if (wildcardsAllowed && node.Children.TryGetValue("+", out var plus))
        {
            Walk(plus, levels, depth + 1, results);
        }
    }

    private static void Collect(Node node, Dictionary<MqttBrokerSession, MqttTopicFilter> results)
    {
        if (node.Subscribers is null)
        {
            return;
        }
        foreach (var (session, options) in node.Subscribers)
        {
            if (!results.TryGetValue(session, out var existing) || existing.Qos < options.Qos)
            {
                results[session] = options;
            }
        }
    }

    private static bool RemoveAt(Node node, string[] levels, int depth, MqttBrokerSession session)
    {
        if (depth == levels.Length)
        {
            node.Subscribers?.Remove(session);
        }
        else if (node.Children is not null && node.Children.TryGetValue(levels[depth], out var child) && RemoveAt(child, levels, depth + 1, session))
        {
            node.Children.Remove(levels[depth]);
            if (node.Children.Count == 0)
            {
                node.Children = null;
            }
        }
        // Tell the parent whether this node is now empty and can be pruned.
        return (node.Subscribers is null || node.Subscribers.Count == 0) && node.Children is null;
    }

    private sealed class Node
    {
        public Dictionary<string, Node>? Children { get; set; }
        public Dictionary<MqttBrokerSession, MqttTopicFilter>? Subscribers { get; set; }
    }
}
