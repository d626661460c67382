using System.Data;
using Npgsql;

namespace Appliance.Server.Store;

/// <summary>
/// The change feed of a <see cref="PostgresStore"/> (<see cref="IChangeFeed"/>): one connection of its own that
/// LISTENs on the feed's channel and holds the publisher lock, a session-level advisory lock
/// (<c>pg_try_advisory_lock</c>) on one key for all networks. The lock is the connection's: when the process holding
/// it dies, PostgreSQL ends its session and the lock is free for the next replica that tries.
/// </summary>
/// <remarks>
/// One lock for all networks rather than one per network: the publisher also announces signing keys to every node
/// and answers every node's resync, so splitting it per network would split those too, for no gain at the sizes one
/// publisher serves (the mesh bench's networks).
/// </remarks>
public sealed class PostgresChangeFeed : IChangeFeed
{
    /// <summary>The publisher lock's key ("ApplPubl"), beside the store's migration lock.</summary>
    public const long PublisherLockKey = 0x4170706c5075626c;

    /// <summary>Published rows kept after the cursor moves past them (for diagnosis); older ones are deleted.</summary>
    public const int KeptRows = 1000;

    private readonly NpgsqlDataSource _dataSource;
    private NpgsqlConnection? _connection;
    private volatile bool _leading;
    private int _notified;

    internal PostgresChangeFeed(NpgsqlConnectionStringBuilder builder)
    {
        var own = new NpgsqlConnectionStringBuilder(builder.ConnectionString)
        {
            // Not pooled: closing the connection must end the session (and so release the lock) at once, not leave it
            // in a pool until the reset of its next use.
            Pooling = false,
            // Idle while waiting for notifications: probe, so a dead database is noticed.
            KeepAlive = 5,
        };
        _dataSource = NpgsqlDataSource.Create(own);
    }

    public bool Leading => _leading;

    public async Task<bool> TryLeadAsync(CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        if (_leading)
        {
            return true;
        }
        await using var cmd = new NpgsqlCommand($"SELECT pg_try_advisory_lock({PublisherLockKey})", connection);
        _leading = await Guard(async () => (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!).ConfigureAwait(false);
        return _leading;
    }

    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _notified, 0) != 0)
        {
            return true;
        }
        // A notification that came during an earlier command was delivered then (the Notification event).
        await Guard(() => connection.WaitAsync(timeout, ct)).ConfigureAwait(false);
        return Interlocked.Exchange(ref _notified, 0) != 0;
    }

    public async Task<ChangeFeedCursor> ReadCursorAsync(CancellationToken ct) =>
        await InTransactionAsync(IsolationLevel.RepeatableRead, s => s.ReadFeedCursor(), ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<ChangeFeedEntry>> ReadAsync(long after, int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        // One snapshot for the rows and the records they name: the sets agree with each other.
        return await InTransactionAsync(IsolationLevel.RepeatableRead, s => s.ReadFeed(after, max), ct).ConfigureAwait(false);
    }

    public async Task RecordPublishedAsync(long sequence, IReadOnlyDictionary<string, long> versions, CancellationToken ct)
    {
        if (!_leading)
        {
            throw new InvalidOperationException("only the replica holding the publisher lock records what was published");
        }
        await InTransactionAsync(IsolationLevel.ReadCommitted, s =>
        {
            s.RecordFeedPublished(sequence, versions, KeptRows);
            return 0;
        }, ct).ConfigureAwait(false);
    }

    private async Task<T> InTransactionAsync<T>(IsolationLevel isolation, Func<SqlSession, T> work, CancellationToken ct)
    {
        var connection = await ConnectionAsync(ct).ConfigureAwait(false);
        return await Guard(async () =>
        {
            await using var tx = await connection.BeginTransactionAsync(isolation, ct).ConfigureAwait(false);
            var result = work(new SqlSession(connection, tx, SqlDialect.Postgres));
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }).ConfigureAwait(false);
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_connection is { State: ConnectionState.Open } open)
        {
            return open;
        }
        await DropAsync().ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        connection.Notification += (_, _) => Interlocked.Exchange(ref _notified, 1);
        await using (var listen = new NpgsqlCommand($"LISTEN {SqlSession.FeedChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        _connection = connection;
        // Whatever was committed while there was no listener is read by the caller's next ReadAsync.
        Interlocked.Exchange(ref _notified, 1);
        return connection;
    }

    // A failure of the connection loses the lock with it: the replica is no longer the publisher.
    private async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await DropAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DropAsync()
    {
        _leading = false;
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
