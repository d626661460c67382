namespace Appliance.Server.Mqtt;

/// <summary>
/// One RabbitMQ user's permissions in the mesh's vhost, as the management API takes them: the resource regexes
/// (<c>/api/permissions</c>) and the topic regexes on the MQTT exchange (<c>/api/topic-permissions</c>).
/// </summary>
/// <param name="Configure">Queues it may declare or delete.</param>
/// <param name="Write">Exchanges and queues it may publish to or bind.</param>
/// <param name="Read">Exchanges and queues it may consume from or bind.</param>
/// <param name="TopicWrite">Routing keys (MQTT topics) it may publish to.</param>
/// <param name="TopicRead">Routing keys (MQTT topic filters) it may subscribe to.</param>
public sealed record RabbitMqPermissions(string Configure, string Write, string Read, string TopicWrite, string TopicRead);
