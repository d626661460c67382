namespace Appliance.Contracts.Mesh;

/// <summary>
/// One principal's rights on the broker as data: MQTT topic filters (with <c>+</c>/<c>#</c>) it may read (subscribe
/// to) and write (publish on). Built by <see cref="MeshTopics"/>; a broker enforces it without knowing the scheme.
/// </summary>
public sealed record MeshTopicAccess(IReadOnlyList<string> Read, IReadOnlyList<string> Write);
