namespace Appliance.Broker.Mosquitto;

/// <summary>One account provisioned on an external Mosquitto: a password hash and the topic ACL.</summary>
public sealed record MosquittoUser(string Name, string PasswordHash, MqttTopicAcl Acl);
