namespace Appliance.Server.Store;

/// <summary>
/// The change feed between server replicas on one PostgreSQL database: every write commits the rows of what it
/// changed (<see cref="ChangeFeedEntry"/>) and a notification in its own transaction; every replica listens, and one
/// of them at a time, the one holding the publisher lock, publishes them. Used by one loop at a time (it is one
/// connection): the lock is that connection's, so it goes when the connection (or its process) dies.
/// </summary>
public interface IChangeFeed : IAsyncDisposable
{
    /// <summary>True while this replica holds the publisher lock.</summary>
    bool Leading { get; }

    /// <summary>Takes the publisher lock if no replica holds it (never waits for it): true when this replica holds it.</summary>
    Task<bool> TryLeadAsync(CancellationToken ct);

    /// <summary>
    /// Waits until a write commits anywhere (a notification) or <paramref name="timeout"/> passes: true when notified.
    /// A lost connection throws, and the lock is then gone (<see cref="Leading"/> false); the next call connects again.
    /// </summary>
    Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct);

    /// <summary>What the publisher has sent so far.</summary>
    Task<ChangeFeedCursor> ReadCursorAsync(CancellationToken ct);

    /// <summary>Up to <paramref name="max"/> rows after <paramref name="after"/>, in commit order, their records read in one snapshot.</summary>
    Task<IReadOnlyList<ChangeFeedEntry>> ReadAsync(long after, int max, CancellationToken ct);

    /// <summary>
    /// Records that every row up to <paramref name="sequence"/> was published, and the networks' versions members were
    /// told; prunes published rows beyond the last <see cref="PostgresChangeFeed.KeptRows"/>. Only the lock holder calls
    /// it, on the lock's own connection: a holder whose connection died cannot record.
    /// </summary>
    Task RecordPublishedAsync(long sequence, IReadOnlyDictionary<string, long> versions, CancellationToken ct);
}
