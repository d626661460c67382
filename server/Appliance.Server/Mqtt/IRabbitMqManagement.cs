namespace Appliance.Server.Mqtt;

/// <summary>
/// The part of RabbitMQ's management HTTP API the server provisions a cluster with. Users, permissions and policies
/// live in the cluster's shared metadata, so one call on any node provisions every node.
/// </summary>
public interface IRabbitMqManagement
{
    /// <summary>Creates or replaces a user (PUT /api/users/{name}).</summary>
    Task PutUserAsync(string name, string password, string tags, CancellationToken cancellationToken);

    /// <summary>Deletes a user and its permissions; false when there was none.</summary>
    Task<bool> DeleteUserAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every user with its tags.</summary>
    Task<IReadOnlyList<RabbitMqUser>> ListUsersAsync(CancellationToken cancellationToken);

    /// <summary>Sets a user's resource and topic permissions in a vhost (PUT /api/permissions and /api/topic-permissions).</summary>
    Task PutPermissionsAsync(string vhost, string user, RabbitMqPermissions permissions, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a queue policy in a vhost (PUT /api/policies/{vhost}/{name}).</summary>
    Task PutQueuePolicyAsync(string vhost, string name, string pattern, IReadOnlyDictionary<string, string> definition, CancellationToken cancellationToken);
}
