namespace Appliance.Contracts.Mesh;

/// <summary>
/// A one-off command the server sends one node (signed like a mesh update, on <see cref="MeshTopics.Commands"/>).
/// It changes no desired state: it is not versioned, and a node takes it only when it is for itself, fresh
/// (issued within <see cref="MaxAge"/> of the node's clock) and not seen before (its <see cref="Id"/>).
/// </summary>
public sealed record NodeCommand
{
    /// <summary>Blink the status LED so someone can find the box.</summary>
    public const string IdentifyKind = "identify";

    public const int MinSeconds = 1;
    public const int MaxSeconds = 3600;
    public const int DefaultSeconds = 30;

    /// <summary>How far the issue time may be from the node's clock (either way) for the command to count.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    public string Kind { get; init; } = string.Empty;

    public string NodeId { get; init; } = string.Empty;

    /// <summary>A random id: a node ignores one it has already taken (replay within <see cref="MaxAge"/>).</summary>
    public string Id { get; init; } = string.Empty;

    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>For identify: how long to blink.</summary>
    public int Seconds { get; init; }
}
