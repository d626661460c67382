namespace Appliance.Server.Mesh;

/// <summary>
/// MQTT topics of the mesh protocol (the node ACL in <c>MqttTopicAcl.ForNode</c> allows exactly these):
/// the server writes <c>appliance/v1/node/&lt;id&gt;/mesh</c> (signed snapshots and deltas); the node writes
/// <c>appliance/v1/report/&lt;id&gt;/resync</c> to ask for a snapshot.
/// </summary>
public static class MeshTopics
{
    public static string Updates(string nodeId) => $"appliance/v1/node/{nodeId}/mesh";

    public const string ResyncFilter = "appliance/v1/report/+/resync";

    public const string StatusFilter = "appliance/v1/report/+/status";

    public static string Status(string nodeId) => $"appliance/v1/report/{nodeId}/status";

    public static string Resync(string nodeId) => $"appliance/v1/report/{nodeId}/resync";

    /// <summary>The node id in a report topic, or null.</summary>
    public static string? NodeOfReport(string topic)
    {
        var parts = topic.Split('/');
        return parts.Length >= 4 && parts[0] == "appliance" && parts[1] == "v1" && parts[2] == "report" ? parts[3] : null;
    }
}
