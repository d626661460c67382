namespace Appliance.Server.Store;

/// <summary>
/// One row of the replicas' change feed (PostgreSQL): a committed write's changes to one network, as a change set
/// labelled with the write's version (<see cref="Changes"/>), or a rotation of the signing key (<see cref="SigningKey"/>:
/// the new key's place in the chain). <see cref="Sequence"/> orders the rows in commit order.
/// </summary>
public sealed record ChangeFeedEntry(long Sequence, NetworkChangeSet? Changes, long? SigningKey, DateTimeOffset CommittedAt);
