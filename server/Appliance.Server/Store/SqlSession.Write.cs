namespace Appliance.Server.Store;

/// <summary>The body of a write transaction, the same for both stores (each takes its lock and opens the transaction).</summary>
internal sealed partial class SqlSession
{
    /// <summary>
    /// Runs <paramref name="work"/>, reads the changed records back and writes the activity log's entry, all inside the
    /// transaction; then <paramref name="commit"/>s and hands the committed changes to <paramref name="sinks"/> (the
    /// caller still holds its write lock, so they see writes in commit order). If anything fails the transaction rolls
    /// back, and the address pools this session loaded or changed are forgotten: they may no longer match the database.
    /// </summary>
    /// <param name="beforeCommit">Runs in the transaction after the changes are read back (PostgreSQL: the change feed's rows).</param>
    internal async Task<T> RunWriteAsync<T>(Func<IStoreSession, T> work, Func<Task> commit, IReadOnlyList<IStoreChangeSink> sinks, TimeProvider clock,
        Action<SqlSession, IReadOnlyList<NetworkChangeSet>?>? beforeCommit = null)
    {
        try
        {
            var rowsBefore = TotalChanges();
            var result = work(this);
            // Read back in the transaction, so the sets are exactly what commits.
            var changes = HasChanges ? CollectChanges() : null;
            ActivityLog.Record(this, changes, TotalChanges() != rowsBefore, clock);
            beforeCommit?.Invoke(this, changes);
            await commit().ConfigureAwait(false);
            if (changes is not null)
            {
                foreach (var sink in sinks)
                {
                    sink.Committed(changes);
                }
            }
            return result;
        }
        catch
        {
            foreach (var network in TouchedNetworks)
            {
                addresses?.Forget(network);
            }
            throw;
        }
    }
}
