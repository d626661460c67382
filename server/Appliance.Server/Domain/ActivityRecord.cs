namespace Appliance.Server.Domain;

/// <summary>
/// One entry of the activity log: who changed what, when. <see cref="Summary"/> names the records the write changed
/// (names and ids, never tokens, keys or hashes). Ids grow with time, so they page the log.
/// </summary>
public sealed record ActivityRecord(
    long Id, DateTimeOffset At, ActivityActorKind ActorKind, string Actor, string Action, string? Network, string Summary);
