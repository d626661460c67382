namespace Appliance.Server.Mqtt;

/// <summary>
/// The accounts on an external broker the server provisions (Mosquitto's files, a RabbitMQ cluster's users): the
/// server's own login, and a reconcile with the store that <see cref="ExternalMeshBus"/> runs before it connects.
/// </summary>
public interface IExternalBrokerAccounts : IBrokerAccounts
{
    /// <summary>The broker's name for logs ("Mosquitto", "RabbitMQ").</summary>
    string BrokerName { get; }

    /// <summary>The server's own user.</summary>
    string ServerUser { get; }

    /// <summary>
    /// The server's MQTT client id: its user, or with RabbitMQ one of its own per replica (replicas share the user, and
    /// two clients with one id would keep taking each other's session over).
    /// </summary>
    string ServerClientId => ServerUser;

    /// <summary>The server's own password.</summary>
    string ServerPassword { get; }

    /// <summary>Brings the broker's accounts in line with the store (idempotent; run at every start).</summary>
    Task ReconcileAsync(CancellationToken cancellationToken);
}
