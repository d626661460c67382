using Appliance.Mqtt.Formatter;

namespace Appliance.Broker;

/// <summary>The last retained message per topic (3.1.1 section 3.3.1.3); an empty payload deletes it.</summary>
internal sealed class MqttRetainedStore
{
    private readonly Dictionary<string, MqttBrokerMessage> _messages = new(StringComparer.Ordinal);

    // Who stored each retained topic (a principal name; absent for the server's own messages) and how many each holds.
    private readonly Dictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _countByOwner = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _messages.Count;
            }
        }
    }

    public void Apply(MqttBrokerMessage message) => TryApply(message, owner: null, maxPerOwner: int.MaxValue);

    /// <summary>Stores or deletes a retained message; false (nothing changed) when <paramref name="owner"/> would hold more than <paramref name="maxPerOwner"/>.</summary>
    public bool TryApply(MqttBrokerMessage message, string? owner, int maxPerOwner)
    {
        lock (_lock)
        {
            _owners.TryGetValue(message.Topic, out var previousOwner);
            if (message.Payload.IsEmpty)
            {
                _messages.Remove(message.Topic);
                Release(previousOwner, message.Topic);
                return true;
            }
            var isNewForOwner = owner is not null && (previousOwner != owner || !_messages.ContainsKey(message.Topic));
            if (isNewForOwner && _countByOwner.GetValueOrDefault(owner!) >= maxPerOwner)
            {
                return false;
            }
            Release(previousOwner, message.Topic);
            _messages[message.Topic] = message;
            if (owner is not null)
            {
                _owners[message.Topic] = owner;
                _countByOwner[owner] = _countByOwner.GetValueOrDefault(owner) + 1;
            }
            return true;
        }
    }

    private void Release(string? owner, string topic)
    {
        if (owner is null)
        {
            return;
        }
        _owners.Remove(topic);
        var left = _countByOwner[owner] - 1;
        if (left == 0)
        {
            _countByOwner.Remove(owner);
        }
        else
        {
            _countByOwner[owner] = left;
        }
    }

    public List<MqttBrokerMessage> Match(string filter, long nowMs)
    {
        var found = new List<MqttBrokerMessage>();
        lock (_lock)
        {
            foreach (var (topic, message) in _messages)
            {
                if (MqttTopic.Matches(filter, topic) && !message.IsExpired(nowMs))
                {
                    found.Add(message);
                }
            }
        }
        return found;
    }
}
