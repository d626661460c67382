namespace Appliance.Broker;

/// <summary>
/// The seam through which the host decides who may connect and what they may touch. The coordination server
/// implements it against its node store (node id as user name, node credential as password); tests use
/// <see cref="InMemoryMqttAuthenticator"/>. Binding a client id to a user name is the implementation's job.
/// </summary>
public interface IMqttAuthenticator
{
    ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken);
}
