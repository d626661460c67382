namespace Appliance.Server.Mqtt;

/// <summary>The <c>Mqtt:RabbitMq:*</c> settings: the brokers of a RabbitMQ cluster (MQTT plugin) and how the server provisions them.</summary>
/// <param name="Urls">The cluster's MQTT listeners the server's own client uses, in the order it tries them (<c>Mqtt:RabbitMq:Urls</c>).</param>
/// <param name="ManagementUrls">The management HTTP API of the cluster's nodes; the server uses the first that answers.</param>
/// <param name="AdminUser">An administrator of the cluster (tag <c>administrator</c>) the server provisions users with.</param>
/// <param name="AdminPassword">Its password (<c>Mqtt:RabbitMq:AdminPassword</c>, or the environment's <c>APPLIANCE_MQTT__RABBITMQ__ADMINPASSWORD</c>).</param>
/// <param name="VirtualHost">The vhost the MQTT plugin uses (<c>mqtt.vhost</c>, default "/").</param>
/// <param name="CaFile">PEM CA certificates the server trusts for <c>mqtts://</c> and <c>https://</c> (else the system store).</param>
/// <param name="User">The server's own user on the cluster.</param>
/// <param name="DeviceUrls">The brokers devices get at join, in the order they try them (<c>Mqtt:RabbitMq:PublicUrls</c>, else <paramref name="Urls"/>).</param>
/// <param name="SessionQueueNodes">
/// How many nodes hold each MQTT session queue, the node it was made on and mirrors (<c>Mqtt:RabbitMq:SessionQueueNodes</c>,
/// default <see cref="DefaultSessionQueueNodes"/>): 2 survives the loss of any one node, and every node more costs
/// the cluster another copy of every session at every connect.
/// </param>
public sealed record RabbitMqSettings(
    IReadOnlyList<Uri> Urls,
    IReadOnlyList<Uri> ManagementUrls,
    string AdminUser,
    string AdminPassword,
    string VirtualHost,
    string? CaFile,
    string User,
    IReadOnlyList<string> DeviceUrls,
    int SessionQueueNodes = RabbitMqSettings.DefaultSessionQueueNodes)
{
    public const string DefaultUser = "appliance-server";

    /// <summary>A session queue and one mirror: one node of the cluster may die without losing a session.</summary>
    public const int DefaultSessionQueueNodes = 2;

    /// <summary>Most brokers (and management endpoints) one list may name.</summary>
    public const int MaxNodes = 16;

    public override string ToString() => $"RabbitMqSettings {{ Urls = {string.Join(",", Urls)}, AdminUser = {AdminUser}, VirtualHost = {VirtualHost} }}";
}
