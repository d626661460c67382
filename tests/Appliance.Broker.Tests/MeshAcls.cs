using Appliance.Contracts.Mesh;

namespace Appliance.Broker.Tests;

/// <summary>
/// The mesh's ACLs as the server hands them to the broker (<c>Appliance.Server.Mqtt.MeshBrokerAcl</c>): patterns of
/// the shared scheme as data, so the broker's tests enforce the real policy while the broker itself knows none.
/// </summary>
internal static class MeshAcls
{
    public static MqttTopicAcl Node(string nodeId, params string[] networks) => From(MeshTopics.NodeAccess(nodeId, networks));

    public static MqttTopicAcl Server() => From(MeshTopics.ServerAccess());

    private static MqttTopicAcl From(MeshTopicAccess access) => new(access.Read, access.Write);
}
