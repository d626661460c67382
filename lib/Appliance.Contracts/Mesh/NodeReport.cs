namespace Appliance.Contracts.Mesh;

/// <summary>
/// What a node tells the server about itself on <see cref="MeshTopics.Status"/>: that it is alive, and
/// the local facts the server cannot know (its listen port as the device has it, the addresses it can be reached at).
/// The broker's ACL makes the topic's node id trustworthy.
/// </summary>
public sealed record NodeReport
{
    public int ListenPort { get; init; }
    public IReadOnlyList<string> Endpoints { get; init; } = [];
    public long AppliedVersion { get; init; }
    public string? AgentVersion { get; init; }
    /// <summary>An ingress gateway's ext clients: counters and last handshake per client.</summary>
    public IReadOnlyList<ExtClientReport>? ExtClients { get; init; }
    /// <summary>Per peer node: the path in use, the endpoint WireGuard has and the handshake age (issue #18).</summary>
    public IReadOnlyList<PeerPathReport>? Peers { get; init; }
    /// <summary>The device's owner opted out of carrying other nodes' traffic (<c>run --no-relay</c>).</summary>
    public bool NoRelay { get; init; }
    /// <summary>The device's owner opted out of hole punching (<c>run --no-punch</c>): peers get no NAT-mapped address of it.</summary>
    public bool NoPunch { get; init; }
    /// <summary>A gateway's DNS server: queries received since the agent started (null: no DNS server runs here).</summary>
    public long? DnsQueries { get; init; }
    /// <summary>Bytes received over the mesh interface, all peers together, as WireGuard counts them (null: not read).</summary>
    public long? RxBytes { get; init; }
    /// <summary>Bytes sent over the mesh interface, all peers together (null: not read).</summary>
    public long? TxBytes { get; init; }
}
