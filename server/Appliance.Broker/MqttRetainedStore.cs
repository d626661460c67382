using Appliance.Mqtt.Formatter;

namespace Appliance.Broker;

/// <summary>The last retained message per topic (3.1.1 section 3.3.1.3); an empty payload deletes it.</summary>
internal sealed class MqttRetainedStore
{
    private readonly Dictionary<string, MqttBrokerMessage> _messages = new(StringComparer.Ordinal);
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

    public void Apply(MqttBrokerMessage message)
    {
        lock (_lock)
        {
            if (message.Payload.IsEmpty)
            {
                _messages.Remove(message.Topic);
            }
            else
            {
                _messages[message.Topic] = message;
            }
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
