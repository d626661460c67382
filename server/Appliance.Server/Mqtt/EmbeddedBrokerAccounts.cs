namespace Appliance.Server.Mqtt;

/// <summary>Nothing to provision: <see cref="NodeMqttAuthenticator"/> checks each login against the store.</summary>
public sealed class EmbeddedBrokerAccounts : IBrokerAccounts
{
    public Task NodeJoinedAsync(string nodeId, string network, string credential, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task NodeRemovedAsync(string nodeId, CancellationToken cancellationToken) => Task.CompletedTask;
}
