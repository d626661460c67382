using System.Data;
using System.Globalization;
using Npgsql;

namespace Appliance.Server.Store;

/// <summary>
/// The store on PostgreSQL (<c>--store postgres</c>), for several servers on one database. The same sessions as
/// <see cref="SqliteStore"/> (<see cref="SqlSession"/>) over the same numbered migrations (<see cref="PostgresMigrations"/>).
/// Writes are serialized across every server on the database, as SQLite serializes them in one: each write transaction
/// first updates the one row of <c>write_sequence</c>, whose row lock it holds until it commits, so checks and the
/// mutations they guard (a key's last use, the next free address, a network's version) see every earlier write of
/// every server. Reads run in a snapshot (REPEATABLE READ) and never wait for writes.
/// </summary>
/// <remarks>
/// One row lock rather than per-network advisory locks or SERIALIZABLE: a write session may read and change several
/// networks and the global tables (keys, settings, signing keys) and does not say which up front, and a serialization
/// failure would have to replay the caller's work. Writes are short, so one writer at a time across servers costs
/// what SQLite's single writer costs. The row's sequence also tells this server whether another one wrote since its
/// own last write: if so, the in-memory address pools (<see cref="AddressBook"/>) may be stale and are reloaded.
/// </remarks>
public sealed class PostgresStore : IApplianceStore, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlConnectionStringBuilder _builder;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly AddressBook _addresses = new();
    private readonly TimeProvider _clock;
    private readonly Metrics.ChangeStageCounters? _stages;
    private volatile IStoreChangeSink[] _sinks = [];
    // write_sequence after this server's last committed write; another value at the next write means another wrote.
    private long _lastSequence = -1;

    /// <param name="clock">The activity log's clock (its entries' times and age bound); the system clock when null.</param>
    /// <exception cref="InvalidOperationException">The connection string is malformed, or the database cannot be reached (naming host:port) or migrated.</exception>
    /// <param name="stages">Where each write transaction's cost is counted (<see cref="Metrics.ChangeStage.StoreWrite"/>); none when null.</param>
    public PostgresStore(string connectionString, TimeProvider? clock = null, Metrics.ChangeStageCounters? stages = null)
    {
        _clock = clock ?? TimeProvider.System;
        _stages = stages;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Store:ConnectionString is not a PostgreSQL connection string: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new InvalidOperationException("Store:ConnectionString names no Host (for example Host=db.example;Database=appliance;Username=appliance)");
        }
        Where = Describe(builder);
        _builder = builder;
        _dataSource = NpgsqlDataSource.Create(builder);
        try
        {
            using var connection = _dataSource.OpenConnection();
            SchemaVersion = Migrate(connection);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            _dataSource.Dispose();
            throw new InvalidOperationException($"cannot use the PostgreSQL store at {Where}: {e.Message}", e);
        }
    }

    /// <summary>host:port/database, for messages (never the password).</summary>
    public string Where { get; }

    public int SchemaVersion { get; }

    public void AddChangeSink(IStoreChangeSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_writeLock)
        {
            _sinks = [.. _sinks, sink];
        }
    }

    public async Task<T> ReadAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var result = work(new SqlSession(connection, tx, SqlDialect.Postgres));
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    public async Task<T> WriteAsync<T>(Func<IStoreSession, T> work, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        var started = Broker.StageCounter.Start();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // READ COMMITTED: once the row lock is held, every later statement sees every write committed before it.
            await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            var sequence = await TakeWriteTurnAsync(connection, tx, ct).ConfigureAwait(false);
            if (sequence != _lastSequence + 1)
            {
                // Another server wrote since this one's last write: its addresses are not in the pools.
                _addresses.Clear();
            }
            var session = new SqlSession(connection, tx, SqlDialect.Postgres, _addresses);
            return await session.RunWriteAsync(work, async () =>
            {
                await tx.CommitAsync(ct).ConfigureAwait(false);
                _lastSequence = sequence;
            }, _sinks, _clock, (s, changes) => s.WriteFeed(changes, _clock.GetUtcNow())).ConfigureAwait(false);
        }
        finally
        {
            _stages?.Stop(Metrics.ChangeStage.StoreWrite, started);
            _writeLock.Release();
        }
    }

    // The row lock every write holds until it commits (or rolls back): one writer at a time across servers.
    private static async Task<long> TakeWriteTurnAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("UPDATE write_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq", connection, tx);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    // Servers starting together on one database migrate one at a time (a session-level advisory lock on a key of this
    // store's own), so each finds the schema either untouched or complete.
    private const long MigrationLockKey = 0x4170706c69616e63; // "Applianc"

    private static int Migrate(NpgsqlConnection connection)
    {
        Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLockKey})");
        try
        {
            Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS write_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL);
                INSERT INTO write_sequence (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
                """);
            int current;
            using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection))
            {
                current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            var latest = PostgresMigrations.All[^1].Version;
            if (current > latest)
            {
                throw new InvalidOperationException(
                    $"the database has schema version {current}, newer than this server understands ({latest}); upgrade the server");
            }
            foreach (var (version, description, sql) in PostgresMigrations.All)
            {
                if (version <= current)
                {
                    continue;
                }
                using var tx = connection.BeginTransaction();
                Execute(connection, tx, sql);
                using (var record = new NpgsqlCommand("INSERT INTO schema_version (version, description, applied_at) VALUES (@v, @d, @t)", connection, tx))
                {
                    record.Parameters.AddWithValue("v", version);
                    record.Parameters.AddWithValue("d", description);
                    record.Parameters.AddWithValue("t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                    record.ExecuteNonQuery();
                }
                tx.Commit();
                current = version;
            }
            return current;
        }
        finally
        {
            Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLockKey})");
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.ExecuteNonQuery();
    }

    private static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"{b.Host}:{b.Port}/{(string.IsNullOrEmpty(b.Database) ? b.Username ?? "(default database)" : b.Database)}";

    /// <summary>
    /// A change feed on this database (<see cref="IChangeFeed"/>), with a connection of its own: every write of every
    /// server on the database commits its feed rows (<see cref="SqlSession.WriteFeed"/>), whether anyone reads them or not.
    /// </summary>
    public IChangeFeed OpenChangeFeed() => new PostgresChangeFeed(_builder);

    /// <summary>Opens a connection of this store's, for tools that copy whole tables (migrate).</summary>
    internal NpgsqlConnection OpenConnection() => _dataSource.OpenConnection();

    public void Dispose()
    {
        _writeLock.Dispose();
        _dataSource.Dispose();
    }
}
