namespace Appliance.Mqtt.Packets;

/// <summary>One entry of a SUBSCRIBE: a topic filter and its options (5.0 section 3.8.3.1).</summary>
public sealed record MqttTopicFilter(string Filter, MqttQos Qos)
{
    public bool NoLocal { get; init; }
    public bool RetainAsPublished { get; init; }

    /// <summary>0 send retained on subscribe, 1 only if new subscription, 2 never.</summary>
    public byte RetainHandling { get; init; }
}
