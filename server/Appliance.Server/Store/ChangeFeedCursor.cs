namespace Appliance.Server.Store;

/// <summary>
/// What the replicas' publisher has sent: every feed row up to <see cref="Sequence"/>, and per network the version its
/// members were last told (<see cref="Versions"/>). The replica that takes publishing over resumes from here.
/// </summary>
public sealed record ChangeFeedCursor(long Sequence, IReadOnlyDictionary<string, long> Versions);
