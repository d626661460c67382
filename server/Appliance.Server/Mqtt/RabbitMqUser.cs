namespace Appliance.Server.Mqtt;

/// <summary>A user of a RabbitMQ cluster as its management API lists it.</summary>
public sealed record RabbitMqUser(string Name, IReadOnlyList<string> Tags);
