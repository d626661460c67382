using Appliance.Broker;
using Appliance.Contracts.Mesh;

namespace Appliance.Server.Mqtt;

/// <summary>
/// The broker ACLs of the mesh's principals, built from the shared topic scheme (<see cref="MeshTopics"/>) and
/// handed to a broker that knows no scheme: the embedded one (<see cref="NodeMqttAuthenticator"/>) and Mosquitto's
/// ACL file (<see cref="MosquittoBrokerAccounts"/>) get the same patterns.
/// </summary>
public static class MeshBrokerAcl
{
    /// <summary>A node: reads its own downlink and its networks' topics, writes its own reports.</summary>
    public static MqttTopicAcl ForNode(string nodeId, IEnumerable<string> networks) => From(MeshTopics.NodeAccess(nodeId, networks));

    /// <summary>The server's own client on an external broker: writes every downlink, reads every report.</summary>
    public static MqttTopicAcl ForServer() => From(MeshTopics.ServerAccess());

    private static MqttTopicAcl From(MeshTopicAccess access) => new(access.Read, access.Write);
}
