namespace Appliance.Contracts.Mesh;

/// <summary>
/// What a node sends on <see cref="MeshTopics.Resync"/> when it connects or misses a version. An older agent sends
/// <c>{}</c>: it reads only its own topic, holds nothing the server may rely on, and is sent a snapshot.
/// </summary>
public sealed record MeshResyncRequest
{
    /// <summary>The most a server reads of a request; a longer one counts as <c>{}</c>.</summary>
    public const int MaxBytes = 1024;

    /// <summary>
    /// True when the node reads its network's shared topic (<see cref="MeshTopics.NetworkUpdates"/>): the server may
    /// send it a network delta there, once for all members, instead of on its own topic.
    /// </summary>
    public bool NetworkTopic { get; init; }

    /// <summary>
    /// The state the node holds (its version, the network's epoch and the server id): when it is the server's current
    /// one, no snapshot is sent and the node simply follows from there. Null: send a snapshot.
    /// </summary>
    public long? Version { get; init; }

    public string? Epoch { get; init; }

    public string? ServerId { get; init; }
}
