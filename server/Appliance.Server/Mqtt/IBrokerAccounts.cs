namespace Appliance.Server.Mqtt;

/// <summary>
/// Node logins on the broker. The embedded broker checks every login against the store and needs nothing here;
/// an external Mosquitto keeps its own accounts, which <see cref="MosquittoBrokerAccounts"/> maintains.
/// </summary>
public interface IBrokerAccounts
{
    /// <summary>A node joined: the plaintext credential is available only now (the store keeps a hash).</summary>
    Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken);

    /// <summary>A node was deleted or left: its login must stop working.</summary>
    Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken);
}
