using Appliance.Broker;
using Appliance.Server.Security;
using Appliance.Server.Store;

namespace Appliance.Server.Mqtt;

/// <summary>
/// Broker logins are node credentials: user name = node id, password = the credential from the join, and the
/// client id must be the node id too (so one node cannot take over another's session). Each node gets its own
/// topics to read and its own report topics to write, nothing else.
/// </summary>
public sealed class NodeMqttAuthenticator(IApplianceStore store) : IMqttAuthenticator
{
    public async ValueTask<MqttAuthResult> AuthenticateAsync(string clientId, string? userName, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
        {
            return MqttAuthResult.Deny("no user name or password");
        }
        if (clientId != userName)
        {
            return MqttAuthResult.Deny($"client id '{clientId}' is not the node id '{userName}'");
        }
        if (Secrets.NodeIdOf(password) != userName)
        {
            return MqttAuthResult.Deny($"the password is not a node credential of '{userName}'");
        }
        var node = await NodeCredentials.VerifyAsync(store, password, cancellationToken);
        if (node is null)
        {
            return MqttAuthResult.Deny($"unknown node or wrong credential for '{userName}'");
        }
        return MqttAuthResult.Allow(new MqttPrincipal("node " + node.Name + "." + node.Network, MeshBrokerAcl.ForNode(node.Id, [node.Network])));
    }
}
