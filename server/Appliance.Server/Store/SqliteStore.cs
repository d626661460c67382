using Microsoft.Data.Sqlite;

namespace Appliance.Server.Store;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writes are serialized in-process and each runs
/// in a BEGIN IMMEDIATE transaction, so a failed write leaves nothing behind (in memory either: the address pools
/// a failed write touched are dropped and loaded again). The database must have no other writer than this store.
/// </summary>
public sealed class SqliteStore : IApplianceStore, IDisposable
{
    /// <summary>
    /// SQLite's page cache per connection, in KiB (its default is 2000). The pool keeps a connection per concurrent
    /// reader, each filling its own cache with the nodes table; the kernel caches the file once for all of them, so a
    /// small cache costs a read syscall per page at most (issue #5: about 8 MB less at 5000 nodes, same latency).
    /// </summary>
    public const int PageCacheKiB = 256;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    // Each network's taken addresses, for write sessions only (they run one at a time under _writeLock).
    private readonly AddressBook _addresses = new();
    private volatile IStoreChangeSink[] _sinks = [];
    private readonly TimeProvider _clock;
    private readonly Metrics.ChangeStageCounters? _stages;

    /// <param name="clock">The activity log's clock (its entries' times and age bound); the system clock when null.</param>
    /// <param name="stages">Where each write transaction's cost is counted (<see cref="Metrics.ChangeStage.StoreWrite"/>); none when null.</param>
    public SqliteStore(string databasePath, TimeProvider? clock = null, Metrics.ChangeStageCounters? stages = null)
    {
        _clock = clock ?? TimeProvider.System;
        _stages = stages;
        _connectionString = ConnectionString(databasePath);
        using var connection = Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL;";
            pragma.ExecuteNonQuery();
        }
        SchemaVersion = Migrate(connection);
    }

    public int SchemaVersion { get; }

    public void AddChangeSink(IStoreChangeSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_writeLock)
        {
            _sinks = [.. _sinks, sink];
        }
    }

    public Task<T> ReadAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: true);
        var result = work(new SqlSession(connection, tx, SqlDialect.Sqlite));
        tx.Commit();
        return Task.FromResult(result);
    }

    public async Task<T> WriteAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        var started = Broker.StageCounter.Start();
        try
        {
            using var connection = Open();
            using var tx = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
            var session = new SqlSession(connection, tx, SqlDialect.Sqlite, _addresses);
            return await session.RunWriteAsync(work, () =>
            {
                tx.Commit();
                return Task.CompletedTask;
            }, _sinks, _clock).ConfigureAwait(false);
        }
        finally
        {
            _stages?.Stop(Metrics.ChangeStage.StoreWrite, started);
            _writeLock.Release();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-{PageCacheKiB};";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static int Migrate(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);";
            create.ExecuteNonQuery();
        }
        int current;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
            current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        var latest = SqliteMigrations.All[^1].Version;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"the database has schema version {current}, newer than this server understands ({latest}); upgrade the server");
        }
        foreach (var (version, description, sql) in SqliteMigrations.All)
        {
            if (version <= current)
            {
                continue;
            }
            using var tx = connection.BeginTransaction();
            using (var apply = connection.CreateCommand())
            {
                apply.Transaction = tx;
                apply.CommandText = sql;
                apply.ExecuteNonQuery();
            }
            using (var record = connection.CreateCommand())
            {
                record.Transaction = tx;
                record.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES ($v, $d, $t);";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$d", description);
                record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
                record.ExecuteNonQuery();
            }
            tx.Commit();
            current = version;
        }
        return current;
    }

    private static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// Closes the pooled connections to this database file (only those: another store's pool, in this process, keeps
    /// its connections, and with them its -wal and -shm files), so the file can be moved, deleted or opened anew.
    /// </summary>
    public static void ReleasePool(string databasePath)
    {
        using var connection = new SqliteConnection(ConnectionString(databasePath));
        SqliteConnection.ClearPool(connection);
    }

    public void Dispose()
    {
        _writeLock.Dispose();
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
