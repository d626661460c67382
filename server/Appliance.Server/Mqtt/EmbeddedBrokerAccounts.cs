namespace Appliance.Server.Mqtt;

/// <summary>
/// Nothing to provision: <see cref="NodeMqttAuthenticator"/> checks each login against the store. A removed node's
/// live connection and persistent session are ended at once, so a deleted node stops hearing the mesh immediately
/// (and cannot log in again).
/// </summary>
public sealed class EmbeddedBrokerAccounts(BrokerHost broker) : IBrokerAccounts
{
    public Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken)
    {
        if (broker.Enabled)
        {
            // The node's client id is its node id (NodeMqttAuthenticator insists on it).
            broker.Broker.DisconnectClient(nodeId);
        }
        return Task.CompletedTask;
    }
}
