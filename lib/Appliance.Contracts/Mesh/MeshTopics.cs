namespace Appliance.Contracts.Mesh;

/// <summary>
/// The MQTT topic scheme of the mesh protocol, the one place its names are spelled (server, broker ACLs and agent
/// all build them here). Downlink, written by the server: <c>appliance/v1/node/&lt;id&gt;/mesh</c> (signed snapshots
/// and deltas) and <c>appliance/v1/net/&lt;network&gt;/…</c> (shared by a network's members). Uplink, written by a node:
/// <c>appliance/v1/report/&lt;id&gt;/status</c> (<see cref="NodeReport"/>) and <c>…/resync</c> (asks for a snapshot).
/// </summary>
public static class MeshTopics
{
    /// <summary>The protocol's root: every mesh topic is below it.</summary>
    public const string Root = "appliance/v1";

    private const string NodeLevel = Root + "/node/";
    private const string NetLevel = Root + "/net/";
    private const string ReportLevel = Root + "/report/";

    /// <summary>Where the server sends a node its signed snapshots and deltas.</summary>
    public static string Updates(string nodeId) => NodeLevel + nodeId + "/mesh";

    /// <summary>
    /// Where the server sends a network's members, once for all of them, a signed network delta that they see alike
    /// (<see cref="MeshUpdate.NetworkDeltaKind"/>: bound to the network and its version; members it does not cover
    /// are named in <see cref="MeshUpdate.Except"/> and get their own update on <see cref="Updates"/>).
    /// </summary>
    public static string NetworkUpdates(string network) => NetLevel + network + "/mesh";

    /// <summary>Where the server sends a node signed one-off commands (<see cref="NodeCommand"/>: identify).</summary>
    public static string Commands(string nodeId) => NodeLevel + nodeId + "/command";

    /// <summary>Where a node reports its status (liveness, port, endpoints).</summary>
    public static string Status(string nodeId) => ReportLevel + nodeId + "/status";

    /// <summary>Where a node asks for a snapshot.</summary>
    public static string Resync(string nodeId) => ReportLevel + nodeId + "/resync";

    /// <summary>Every node's status reports (for the server's subscription).</summary>
    public const string StatusFilter = ReportLevel + "+/status";

    /// <summary>Every node's snapshot requests (for the server's subscription).</summary>
    public const string ResyncFilter = ReportLevel + "+/resync";

    /// <summary>The node id in a report topic (<c>appliance/v1/report/&lt;id&gt;/…</c>), or null.</summary>
    public static string? NodeOfReport(string topic)
    {
        if (!topic.StartsWith(ReportLevel, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = topic.AsSpan(ReportLevel.Length);
        var end = rest.IndexOf('/');
        return (end < 0 ? rest : rest[..end]).ToString();
    }

    /// <summary>
    /// What a node may do: read its own downlink and its networks' shared topics, write its own reports; nothing else
    /// (so one node can neither read another's state nor report in its name).
    /// </summary>
    public static MeshTopicAccess NodeAccess(string nodeId, IEnumerable<string> networks) =>
        new([NodeLevel + nodeId + "/#", .. networks.Select(n => NetLevel + n + "/#")], [ReportLevel + nodeId + "/#"]);

    /// <summary>
    /// What the server's own client may do on an external broker: write every node's downlink and every network's
    /// topics, read every node's reports, and nothing else (no "#" that would let it read other tenants' topics).
    /// </summary>
    public static MeshTopicAccess ServerAccess() =>
        new([ReportLevel + "+/#"], [NodeLevel + "+/#", NetLevel + "+/#"]);
}
