namespace Appliance.Broker;

/// <summary>An authenticated MQTT client: a name for logs and the topics it may use.</summary>
public sealed record MqttPrincipal(string Name, MqttTopicAcl Acl);
