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

    /// <summary>
    /// Creates a user with its resource and topic permissions in <paramref name="vhost"/>, so that it can log in with
    /// them once this returns: a new user is one PUT /api/users with the resource permissions in it (RabbitMQ sets
    /// them as it creates the user) and one PUT /api/topic-permissions; a user that already existed (RabbitMQ ignores
    /// the permissions in a PUT that updates one) gets its resource permissions by a PUT /api/permissions of their own.
    /// </summary>
    Task PutUserWithPermissionsAsync(string vhost, string name, string password, string tags, RabbitMqPermissions permissions, CancellationToken cancellationToken);

    /// <summary>Sets a user's resource and topic permissions in a vhost (PUT /api/permissions and /api/topic-permissions).</summary>
    Task PutPermissionsAsync(string vhost, string user, RabbitMqPermissions permissions, CancellationToken cancellationToken);

    /// <summary>
    /// Every user's permissions in <paramref name="vhost"/>, by user: two calls (GET /api/vhosts/{vhost}/permissions and
    /// /topic-permissions, those on the MQTT exchange) whatever the number of users. A user that lacks either part is
    /// left out.
    /// </summary>
    Task<IReadOnlyDictionary<string, RabbitMqPermissions>> ListPermissionsAsync(string vhost, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a queue policy in a vhost (PUT /api/policies/{vhost}/{name}); a definition's values are strings or integers.</summary>
    Task PutQueuePolicyAsync(string vhost, string name, string pattern, IReadOnlyDictionary<string, object> definition, CancellationToken cancellationToken);
}
